namespace KernelGen.Variants;

/// <summary>Arithmetic of a kernel variant.</summary>
public enum Precision
{
    /// <summary>fp32 in, fp32 accumulation, fp32 out.</summary>
    F32,

    /// <summary>int8 × int8 → int32 with a fused dequantize epilogue.</summary>
    W8A8,

    /// <summary>
    /// fp16 operands — activations rounded to fp16 as they are gathered, weights rounded once — with fp32 accumulation and
    /// the fp32 epilogue; tensors between layers stay fp32 (spconv's fp16 with fp32 accumulation, at the multiply).
    /// </summary>
    F16,
}
