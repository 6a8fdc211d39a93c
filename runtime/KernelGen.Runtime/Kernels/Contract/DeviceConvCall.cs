using ILGPU;
using KernelGen.KernelMaps;

namespace KernelGen.Kernels;

/// <summary>
/// The tensors of one layer run in an accelerator's memory, for <see cref="IConvKernel.Launch"/>: what
/// <see cref="ConvCall"/> holds on the host, as views, so a network's activations stay on the device from node to node.
/// The weights stay a <see cref="LayerWeights"/>: it uploads them once per accelerator (<see cref="LayerWeights.OnDevice"/>).
/// Exactly one input and one output are set.
/// </summary>
public sealed class DeviceConvCall
{
    /// <summary>The kernel map: its geometry and row counts (its rulebook on the device is <see cref="OutIn"/>).</summary>
    public required KernelMap Map { get; init; }

    /// <summary>The map's rulebook [M, K] on the device.</summary>
    public required ArrayView<int> OutIn { get; init; }

    /// <summary>The layer's weights (uploaded on first use per accelerator).</summary>
    public required LayerWeights Weights { get; init; }

    /// <summary>fp32 input [N, Cin], or null when <see cref="InputInt8"/> is set.</summary>
    public ArrayView<float>? Input { get; init; }

    /// <summary>int8 input [N, Cin] in this layer's quantized domain, or null.</summary>
    public ArrayView<sbyte>? InputInt8 { get; init; }

    /// <summary>Residual [M, Cout] added before the activation, or null.</summary>
    public ArrayView<float>? Residual { get; init; }

    /// <summary>fp32 output [M, Cout], or null when <see cref="OutputInt8"/> is set.</summary>
    public ArrayView<float>? Output { get; init; }

    /// <summary>int8 output [M, Cout], or null.</summary>
    public ArrayView<sbyte>? OutputInt8 { get; init; }

    /// <summary>int8 output: per output channel m_n = 1 / (s'_n · s'_x) of the consuming layer, on the device.</summary>
    public ArrayView<float>? OutputMultipliers { get; init; }

    /// <summary>What the call needs of a kernel at <paramref name="precision"/>.</summary>
    public KernelNeeds Needs(Variants.Precision precision) => new(precision, Residual is not null, InputInt8 is not null, OutputInt8 is not null);

    /// <summary>The same checks as <see cref="ConvCall.Validate"/>, on the views' lengths.</summary>
    public void Validate(ConvGeometry layerGeometry, string kernelName)
    {
        ArgumentNullException.ThrowIfNull(Map);
        ArgumentNullException.ThrowIfNull(Weights);
        if (!Map.Geometry.SameConvolutionAs(layerGeometry))
        {
            throw new ArgumentException($"{kernelName}: the kernel map was built for {Map.Geometry} but the layer is {layerGeometry}");
        }
        if ((Input is null) == (InputInt8 is null))
        {
            throw new ArgumentException($"{kernelName}: give exactly one input, fp32 or int8");
        }
        if ((Output is null) == (OutputInt8 is null))
        {
            throw new ArgumentException($"{kernelName}: give exactly one output, fp32 or int8");
        }
        int cin = Weights.InChannels, cout = Weights.OutChannels;
        long elements = (long)Map.OutputCount * cout;
        Check(OutIn.Length, (long)Map.OutputCount * Map.KernelVolume, $"the kernel map's rulebook must hold [M={Map.OutputCount}, K={Map.KernelVolume}] entries");
        Check(Input?.Length ?? InputInt8!.Value.Length, (long)Map.InputCount * cin, $"input must hold [N={Map.InputCount}, Cin={cin}] values (the kernel map's input rows)");
        Check(Output?.Length ?? OutputInt8!.Value.Length, elements, $"output must hold [M={Map.OutputCount}, Cout={cout}] values");
        if (Residual is { } residual)
        {
            Check(residual.Length, elements, $"residual must hold [M={Map.OutputCount}, Cout={cout}] values");
        }
        if (OutputInt8 is not null)
        {
            if (OutputMultipliers is not { } multipliers || multipliers.Length != cout)
            {
                throw new ArgumentException($"{kernelName}: int8 output needs {cout} per-channel output multipliers, got {OutputMultipliers?.Length.ToString() ?? "none"}");
            }
        }
        else if (OutputMultipliers is not null)
        {
            throw new ArgumentException($"{kernelName}: output multipliers are given but the output is fp32");
        }

        void Check(long length, long expected, string what)
        {
            // A view of the right size or larger-by-padding is not accepted: lengths say exactly what is read and written.
            if (length != expected && !(expected == 0 && length == 1))
            {
                throw new ArgumentException($"{kernelName}: {what}, got {length}");
            }
        }
    }
}
