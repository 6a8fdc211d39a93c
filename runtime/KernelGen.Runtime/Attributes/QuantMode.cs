namespace KernelGen;

/// <summary>Precision of a generated layer's kernels.</summary>
public enum QuantMode
{
    /// <summary>fp32 only.</summary>
    None,

    /// <summary>int8 weights (per output channel, symmetric) and int8 activations (per tensor, symmetric), int32
    /// accumulation, fused dequantize epilogue; emitted next to the fp32 kernels.</summary>
    W8A8,
}
