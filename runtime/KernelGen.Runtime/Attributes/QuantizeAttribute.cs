namespace KernelGen;

/// <summary>Asks for quantized kernels besides the fp32 ones.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class QuantizeAttribute : Attribute
{
    /// <summary>Creates the attribute for <paramref name="mode"/>.</summary>
    public QuantizeAttribute(QuantMode mode) => Mode = mode;

    /// <summary>The precision.</summary>
    public QuantMode Mode { get; }

    /// <summary>
    /// Fuse SmoothQuant: per input channel j the activations are divided by s_j as they are gathered and quantized,
    /// and the weights are multiplied by s_j before they are quantized. Needs <see cref="QuantMode.W8A8"/>.
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
