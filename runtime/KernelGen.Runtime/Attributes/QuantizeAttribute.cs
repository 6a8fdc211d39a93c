namespace KernelGen;

/// <summary>
/// Asks for kernels in other precisions besides the fp32 ones, e.g. <c>[Quantize(Precision.W8A8, Precision.F16,
/// SmoothQuant = true)]</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class QuantizeAttribute : Attribute
{
    /// <summary>Creates the attribute for <paramref name="precisions"/> (F32 may be listed; it is always there).</summary>
    public QuantizeAttribute(params Precision[] precisions) => Precisions = precisions ?? [];

    /// <summary>The precisions asked for.</summary>
    public Precision[] Precisions { get; }

    /// <summary>
    /// Fuse SmoothQuant: per input channel j the activations are divided by s_j as they are gathered and quantized,
    /// and the weights are multiplied by s_j before they are quantized. Needs <see cref="Precision.W8A8"/>.
    /// </summary>
    public bool SmoothQuant { get; set; }

    /// <summary>The SmoothQuant migration strength α in [0, 1] used when the layer is calibrated. Default 0.5.</summary>
    public double Alpha { get; set; } = 0.5;

    /// <summary>
    /// Accept that int8 pads the input channels to a multiple of 4 (e.g. a first layer's 5 voxel features to 8): no
    /// KGEN0013 warning for this layer. Say it where the padding is deliberate; everywhere else the warning stays.
    /// </summary>
    public bool AcceptChannelPadding { get; set; }
}
