namespace KernelGen;

/// <summary>
/// How a W8A8 layer codes its activations in 8 bits (per tensor, zero point 0). Which one a node gets follows from the
/// network: <see cref="U8"/> where its input is known non-negative (the output of a ReLU, or of a fused residual + ReLU),
/// <see cref="S8"/> elsewhere (a network input such as raw x, y, z). The rows of <see cref="Quantization.ActivationFormats"/>
/// say what each means to the kernels.
/// </summary>
public enum ActivationFormat
{
    /// <summary>Symmetric signed int8: codes −127…127, s_x = T / 127.</summary>
    S8,

    /// <summary>
    /// Unsigned 8-bit: codes 0…255, s_x = T / 255 — half the step of <see cref="S8"/> on the same range, for inputs that
    /// are never negative (a negative value would clamp to 0). u8 × s8 products need no zero-point correction.
    /// </summary>
    U8,
}
