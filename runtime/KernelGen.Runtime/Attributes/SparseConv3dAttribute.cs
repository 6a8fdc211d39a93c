namespace KernelGen;

/// <summary>
/// Declares a sparse 3D convolution layer on a <c>partial class</c>; the KernelGen source generator emits its
/// specialized kernels (one per <see cref="TileAttribute"/> and precision) into that class.
/// </summary>
/// <remarks>
/// Kernel, stride, padding and dilation take one value for every axis (<see cref="Kernel"/> = 3) or three values in
/// (z, y, x) order through the <c>…PerAxis</c> properties (<c>KernelPerAxis = new[] { 3, 1, 1 }</c>); giving both for
/// the same parameter is a build error. Weights use spconv's layout [Cout, kD, kH, kW, Cin].
/// </remarks>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class SparseConv3dAttribute : Attribute
{
    /// <summary>Cin.</summary>
    public int InChannels { get; set; }

    /// <summary>Cout.</summary>
    public int OutChannels { get; set; }

    /// <summary>Submanifold, regular (strided) or inverse sparse conv. Default: submanifold.</summary>
    public ConvKind Kind { get; set; } = ConvKind.SubManifold;

    /// <summary>Kernel size on every axis. Default 3.</summary>
    public int Kernel { get; set; } = 3;

    /// <summary>Kernel size as (kD, kH, kW).</summary>
    public int[]? KernelPerAxis { get; set; }

    /// <summary>Stride on every axis. Default 1.</summary>
    public int Stride { get; set; } = 1;

    /// <summary>Stride as (sD, sH, sW).</summary>
    public int[]? StridePerAxis { get; set; }

    /// <summary>Padding on every axis. Default 0 (ignored by submanifold convs, as in spconv).</summary>
    public int Padding { get; set; }

    /// <summary>Padding as (pD, pH, pW).</summary>
    public int[]? PaddingPerAxis { get; set; }

    /// <summary>Dilation on every axis. Default 1.</summary>
    public int Dilation { get; set; } = 1;

    /// <summary>Dilation as (dD, dH, dW).</summary>
    public int[]? DilationPerAxis { get; set; }

    /// <summary>Whether the layer adds a bias [Cout] (a folded BatchNorm's shift, for example).</summary>
    public bool Bias { get; set; }

    /// <summary>Activation after the bias. Default none.</summary>
    public Activation Activation { get; set; } = Activation.None;
}
