namespace KernelGen.Quantization;

/// <summary>How a layer runs.</summary>
public enum QuantMethod
{
    /// <summary>fp32 weights and activations.</summary>
    Fp32,

    /// <summary>W8A8 without smoothing.</summary>
    W8A8,

    /// <summary>W8A8 with SmoothQuant factors.</summary>
    W8A8Smooth,
}
