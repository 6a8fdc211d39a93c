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

    /// <summary>
    /// 8-bit input [N, Cin] already in this layer's quantized domain (q = x / (s_c · s_x)), coded as the layer's
    /// quantization says (<see cref="LayerQuantization.Format"/>: s8 values, or u8 codes in the same bytes), or null.
    /// </summary>
    public sbyte[]? InputInt8 { get; init; }

    /// <summary>Residual [M, Cout] added before the activation, or null.</summary>
    public float[]? Residual { get; init; }

    /// <summary>fp32 output [M, Cout], or null when <see cref="OutputInt8"/> is set.</summary>
    public float[]? Output { get; init; }

    /// <summary>8-bit output [M, Cout] coded as <see cref="OutputFormat"/>, or null.</summary>
    public sbyte[]? OutputInt8 { get; init; }

    /// <summary>
    /// int8 output: the consuming layer's activation format — s8 codes −127…127, or u8 codes 0…255 stored in the same
    /// bytes (the consumer's <see cref="LayerQuantization.Format"/>).
    /// </summary>
    public ActivationFormat OutputFormat { get; init; }

    /// <summary>
    /// int8 output: per output channel m_n = 1 / (s'_n · s'_x) of the consuming layer (its SmoothQuant factor and
    /// activation scale), so <c>q = clamp(rne(fp32(y · m_n)))</c> is the consumer's quantized input.
    /// </summary>
    public float[]? OutputMultipliers { get; init; }

    /// <summary>
    /// W8A8: an int32 array [M, Cout] that receives each output's sum Σ_k Σ_c q_x · q_w before the epilogue
    /// (dequantize, bias, residual, activation), for checks in exact integer arithmetic; null for none (the usual run).
    /// Only kernels that declare <see cref="KernelCapabilities.Accumulators"/> (the CPU W8A8 kernels) write it; giving it
    /// to another kernel is refused. q_x is the activation code, s8 or u8 (zero point 0 in both).
    /// </summary>
    public int[]? Accumulators { get; init; }

    /// <summary>
    /// Checks everything a kernel of <paramref name="layerGeometry"/> relies on: one input and one output, their
    /// lengths, the residual's, the multipliers', and a kernel map built for this layer's geometry.
    /// </summary>
    public void Validate(ConvGeometry layerGeometry, string kernelName)
    {
        ArgumentNullException.ThrowIfNull(Map);
        ArgumentNullException.ThrowIfNull(Weights);
        ConvCallShape.Check(kernelName, layerGeometry, Map, Weights, Input?.LongLength, InputInt8?.LongLength, Output?.LongLength,
            OutputInt8?.LongLength, Residual?.LongLength, OutputMultipliers?.LongLength);
        long elements = (long)Map.OutputCount * Weights.OutChannels;
        if (Accumulators is not null && Accumulators.LongLength != elements)
        {
            throw new ArgumentException($"{kernelName}: accumulators must hold [M={Map.OutputCount}, Cout={Weights.OutChannels}] values, got {Accumulators.LongLength}");
        }
        if (OutputMultipliers is not null && Array.FindIndex(OutputMultipliers, m => !(m > 0) || !float.IsFinite(m)) is var bad and >= 0)
        {
            throw new ArgumentException($"{kernelName}: output multiplier of channel {bad} is {OutputMultipliers[bad]}; multipliers must be positive and finite");
        }
    }
}
