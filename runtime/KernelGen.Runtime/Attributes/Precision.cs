namespace KernelGen;

/// <summary>
/// The one word for arithmetic: what a layer gets kernels for (<c>[Quantize(Precision.W8A8, Precision.F16)]</c>; fp32
/// always), what a kernel computes in, and what a network node runs at. SmoothQuant is not a precision but a property
/// of a W8A8 layer's scales (<see cref="Kernels.LayerQuantization.SmoothQuant"/>).
/// </summary>
public enum Precision
{
    /// <summary>fp32 in, fp32 accumulation, fp32 out.</summary>
    F32,

    /// <summary>
    /// int8 weights (per output channel, symmetric) and int8 activations (per tensor, symmetric), int32 accumulation,
    /// fused dequantize epilogue.
    /// </summary>
    W8A8,

    /// <summary>
    /// fp16 operands — activations rounded to fp16 as they are gathered, weights rounded once — with fp32 accumulation and
    /// the fp32 epilogue (tensor cores on CUDA compute capability 8.0 and later); tensors between layers stay fp32
    /// (spconv's fp16 with fp32 accumulation, at the multiply).
    /// </summary>
    F16,
}
