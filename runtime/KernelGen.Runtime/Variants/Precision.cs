namespace KernelGen.Variants;

/// <summary>Arithmetic of a kernel variant.</summary>
public enum Precision
{
    /// <summary>fp32 in, fp32 accumulation, fp32 out.</summary>
    F32,

    /// <summary>int8 × int8 → int32 with a fused dequantize epilogue.</summary>
    W8A8,
}
