using KernelGen.KernelMaps;

namespace KernelGen.Kernels;

/// <summary>
/// The tensors of one layer run, in host memory: the kernel map, the input (fp32 [N, Cin], or int8 [N, Cin] from the
/// previous layer's int8 epilogue), an optional residual [M, Cout], and the output (fp32 [M, Cout], or int8 [M, Cout]
/// requantized with <see cref="OutputMultipliers"/>). Exactly one input and one output are set.
/// </summary>
public sealed class ConvCall
{
    /// <summary>The rulebook: input row per (output row, offset).</summary>
    public required KernelMap Map { get; init; }

    /// <summary>The layer's weights, packed and quantized once (<see cref="LayerWeights"/>).</summary>
    public required LayerWeights Weights { get; init; }

    /// <summary>fp32 input [N, Cin], or null when <see cref="InputInt8"/> is set.</summary>
    public float[]? Input { get; init; }

    /// <summary>int8 input [N, Cin] already in this layer's quantized domain (q = x / (s_c · s_x)), or null.</summary>
    public sbyte[]? InputInt8 { get; init; }

    /// <summary>Residual [M, Cout] added before the activation, or null.</summary>
    public float[]? Residual { get; init; }

    /// <summary>fp32 output [M, Cout], or null when <see cref="OutputInt8"/> is set.</summary>
    public float[]? Output { get; init; }

    /// <summary>int8 output [M, Cout], or null.</summary>
    public sbyte[]? OutputInt8 { get; init; }

    /// <summary>
    /// int8 output: per output channel m_n = 1 / (s'_n · s'_x) of the consuming layer (its SmoothQuant factor and
    /// activation scale), so <c>q = clamp(rne(fp32(y · m_n)))</c> is the consumer's quantized input.
    /// </summary>
    public float[]? OutputMultipliers { get; init; }

    /// <summary>The int32 sums before the epilogue [M, Cout], written when set and the kernel can (tests read them).</summary>
    public int[]? Accumulators { get; init; }

    /// <summary>
    /// Checks everything a kernel of <paramref name="layerGeometry"/> relies on: one input and one output, their
    /// lengths, the residual's, the multipliers', and a kernel map built for this layer's geometry.
    /// </summary>
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
        long inputLength = Input?.LongLength ?? InputInt8!.LongLength;
        if (inputLength != (long)Map.InputCount * cin)
        {
            throw new ArgumentException($"{kernelName}: input must hold [N={Map.InputCount}, Cin={cin}] values (the kernel map's input rows), got {inputLength}");
        }
        long elements = (long)Map.OutputCount * cout;
        long outputLength = Output?.LongLength ?? OutputInt8!.LongLength;
        if (outputLength != elements)
        {
            throw new ArgumentException($"{kernelName}: output must hold [M={Map.OutputCount}, Cout={cout}] values, got {outputLength}");
        }
        if (Residual is not null && Residual.LongLength != elements)
        {
            throw new ArgumentException($"{kernelName}: residual must hold [M={Map.OutputCount}, Cout={cout}] values, got {Residual.LongLength}");
        }
        if (Accumulators is not null && Accumulators.LongLength != elements)
        {
            throw new ArgumentException($"{kernelName}: accumulators must hold [M={Map.OutputCount}, Cout={cout}] values, got {Accumulators.LongLength}");
        }
        if (OutputInt8 is not null)
        {
            if (OutputMultipliers is null || OutputMultipliers.Length != cout)
            {
                throw new ArgumentException($"{kernelName}: int8 output needs {cout} per-channel output multipliers, got {OutputMultipliers?.Length.ToString() ?? "none"}");
            }
            int bad = Array.FindIndex(OutputMultipliers, m => !(m > 0) || !float.IsFinite(m));
            if (bad >= 0)
            {
                throw new ArgumentException($"{kernelName}: output multiplier of channel {bad} is {OutputMultipliers[bad]}; multipliers must be positive and finite");
            }
        }
        else if (OutputMultipliers is not null)
        {
            throw new ArgumentException($"{kernelName}: output multipliers are given but the output is fp32");
        }
    }
}
