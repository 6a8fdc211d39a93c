using ILGPU;
using KernelGen.KernelMaps;

namespace KernelGen.Kernels;

/// <summary>
/// The tensors of one layer run in an accelerator's memory, for <see cref="IConvKernel.Launch"/>: what
/// <see cref="ConvCall"/> holds on the host, as views, so a network's activations stay on the device from node to node.
/// The weights stay a <see cref="LayerWeights"/>: it uploads them once per accelerator (<see cref="LayerWeights.OnDevice"/>).
/// Exactly one input and one output are set (fp32, fp16 or int8).
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

    /// <summary>8-bit input [N, Cin] in this layer's quantized domain, coded as its quantization's format, or null.</summary>
    public ArrayView<sbyte>? InputInt8 { get; init; }

    /// <summary>
    /// fp16 input [N, Cin] as IEEE half bits (the previous fp16 layer's <see cref="OutputHalf"/>), or null; only kernels
    /// that declare <see cref="KernelCapabilities.HalfTensors"/> take it.
    /// </summary>
    public ArrayView<ushort>? InputHalf { get; init; }

    /// <summary>Residual [M, Cout] added before the activation, or null.</summary>
    public ArrayView<float>? Residual { get; init; }

    /// <summary>fp16 residual [M, Cout] as half bits, or null (kernels with <see cref="KernelCapabilities.HalfTensors"/>).</summary>
    public ArrayView<ushort>? ResidualHalf { get; init; }

    /// <summary>fp32 output [M, Cout], or null when <see cref="OutputInt8"/> is set.</summary>
    public ArrayView<float>? Output { get; init; }

    /// <summary>fp16 output [M, Cout] as half bits (rounded to nearest even), or null (kernels with <see cref="KernelCapabilities.HalfTensors"/>).</summary>
    public ArrayView<ushort>? OutputHalf { get; init; }

    /// <summary>8-bit output [M, Cout] coded as <see cref="OutputFormat"/>, or null.</summary>
    public ArrayView<sbyte>? OutputInt8 { get; init; }

    /// <summary>int8 output: the consuming layer's activation format (s8 or u8 codes in the same bytes).</summary>
    public ActivationFormat OutputFormat { get; init; }

    /// <summary>int8 output: per output channel m_n = 1 / (s'_n · s'_x) of the consuming layer, on the device.</summary>
    public ArrayView<float>? OutputMultipliers { get; init; }

    /// <summary>What the call needs of a kernel at <paramref name="precision"/>.</summary>
    public KernelNeeds Needs(Precision precision) => new(precision, Residual is not null || ResidualHalf is not null, InputInt8 is not null, OutputInt8 is not null,
        HalfTensors: InputHalf is not null || OutputHalf is not null || ResidualHalf is not null);

    /// <summary>The same checks as <see cref="ConvCall.Validate"/>, on the views' lengths, and the rulebook's length.</summary>
    public void Validate(ConvGeometry layerGeometry, string kernelName)
    {
        ArgumentNullException.ThrowIfNull(Map);
        ArgumentNullException.ThrowIfNull(Weights);
        if ((Input is not null && InputHalf is not null) || (Output is not null && OutputHalf is not null) || (Residual is not null && ResidualHalf is not null))
        {
            throw new ArgumentException($"{kernelName}: give an input, an output and a residual in one format each (fp32 or fp16), not both");
        }
        ConvCallShape.Check(kernelName, layerGeometry, Map, Weights, Input?.Length ?? InputHalf?.Length, InputInt8?.Length, Output?.Length ?? OutputHalf?.Length,
            OutputInt8?.Length, Residual?.Length ?? ResidualHalf?.Length, OutputMultipliers?.Length, deviceViews: true);
        long entries = (long)Map.OutputCount * Map.KernelVolume;
        if (OutIn.Length != entries && !(entries == 0 && OutIn.Length == 1))
        {
            throw new ArgumentException($"{kernelName}: the kernel map's rulebook must hold [M={Map.OutputCount}, K={Map.KernelVolume}] entries, got {OutIn.Length}");
        }
    }
}
