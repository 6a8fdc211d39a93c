namespace KernelGen;

/// <summary>
/// Precisions a generated layer gets kernels for besides fp32 (which it always has). Flags: combine them, e.g.
/// <c>[Quantize(QuantMode.W8A8 | QuantMode.Fp16)]</c>.
/// </summary>
[Flags]
public enum QuantMode
{
    /// <summary>fp32 only.</summary>
    None = 0,

    /// <summary>int8 weights (per output channel, symmetric) and int8 activations (per tensor, symmetric), int32
    /// accumulation, fused dequantize epilogue.</summary>
    W8A8 = 1,

    /// <summary>fp16 operands with fp32 accumulation (tensor cores on CUDA compute capability 8.0 and later) and the fp32 epilogue.</summary>
    Fp16 = 2,
}
