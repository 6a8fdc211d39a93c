using KernelGen;
using KernelGen.Tensors;

namespace KernelGen.KernelMaps;

/// <summary>
/// Kind and per-axis kernel, stride, padding and dilation of a sparse 3D convolution.
/// Offset index k = (kz * kH + ky) * kW + kx, matching the weight layout [Cout, kD, kH, kW, Cin].
/// </summary>
/// <remarks>
/// Submanifold convs centre the kernel on each site (input = output + (k - (K-1)/2) * dilation), so
/// they need odd kernel sizes and stride 1; their padding is accepted and ignored, as spconv's SubMConv3d does.
/// Regular and inverse convs use input = output * stride - padding + k * dilation.
/// </remarks>
public sealed record ConvGeometry(ConvKind Kind, Triple Kernel, Triple Stride, Triple Padding, Triple Dilation)
{
    /// <summary>A geometry with the same value on every axis.</summary>
    public static ConvGeometry Uniform(ConvKind kind, int kernel, int stride = 1, int padding = 0, int dilation = 1) =>
        new(kind, Triple.All(kernel), Triple.All(stride), Triple.All(padding), Triple.All(dilation));

    /// <summary>kD * kH * kW, the number of kernel offsets.</summary>
    public int KernelVolume => Kernel.Product;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid parameter.</summary>
    public void Validate()
    {
        if (!Kernel.All(v => v >= 1))
        {
            throw new ArgumentException($"kernel {Kernel} must be at least 1 on every axis");
        }
        if (!Stride.All(v => v >= 1))
        {
            throw new ArgumentException($"stride {Stride} must be at least 1 on every axis");
        }
        if (!Padding.All(v => v >= 0))
        {
            throw new ArgumentException($"padding {Padding} must be non-negative on every axis");
        }
        if (!Dilation.All(v => v >= 1))
        {
            throw new ArgumentException($"dilation {Dilation} must be at least 1 on every axis");
        }
        if (Kind == ConvKind.SubManifold)
        {
            if (!Kernel.All(v => v % 2 == 1))
            {
                throw new ArgumentException($"submanifold conv needs an odd kernel size on every axis, got {Kernel}");
            }
            if (Stride != Triple.All(1))
            {
                throw new ArgumentException($"submanifold conv needs stride 1, got {Stride}");
            }
        }
    }

    /// <summary>
    /// Output spatial shape: the input shape for submanifold convs, else
    /// <c>(in + 2*pad - dil*(k-1) - 1) / stride + 1</c> per axis. Throws when an axis would be empty.
    /// </summary>
    public SpatialShape OutputShape(SpatialShape input)
    {
        Validate();
        if (Kind == ConvKind.SubManifold)
        {
            return input;
        }
        if (Kind == ConvKind.Inverse)
        {
            throw new InvalidOperationException(
                "an inverse conv's output shape is the input shape of the conv it inverts; take it from that conv's kernel map");
        }
        Span<int> extent = stackalloc int[3];
        for (int axis = 0; axis < 3; axis++)
        {
            // In 64 bits: a large padding or dilation must not wrap around and report the wrong problem.
            long dilatedKernel = (long)Dilation[axis] * (Kernel[axis] - 1) + 1;
            long span = input[axis] + 2L * Padding[axis] - dilatedKernel;
            if (span < 0)
            {
                throw new ArgumentException(
                    $"axis {"zyx"[axis]}: input extent {input[axis]} with padding {Padding[axis]} is smaller than the dilated kernel " +
                    $"{dilatedKernel}; the output would be empty");
            }
            long outputExtent = span / Stride[axis] + 1;
            if (outputExtent > int.MaxValue)
            {
                throw new ArgumentException(
                    $"axis {"zyx"[axis]}: input extent {input[axis]} with padding {Padding[axis]} gives an output extent of {outputExtent}, more than {int.MaxValue}");
            }
            extent[axis] = (int)outputExtent;
        }
        var output = new SpatialShape(extent[0], extent[1], extent[2]);
        output.Validate();
        return output;
    }

    /// <summary>
    /// Per-offset displacement (dz, dy, dx) in input cells from the anchor of an output site: the centred offset
    /// times dilation for submanifold convs, <c>k * dilation - padding</c> otherwise (the anchor being output * stride).
    /// </summary>
    public int[] OffsetDisplacements()
    {
        var displacements = new int[KernelVolume * 3];
        int k = 0;
        for (int kz = 0; kz < Kernel.Z; kz++)
        {
            for (int ky = 0; ky < Kernel.Y; ky++)
            {
                for (int kx = 0; kx < Kernel.X; kx++, k++)
                {
                    displacements[k * 3 + 0] = Displacement(0, kz);
                    displacements[k * 3 + 1] = Displacement(1, ky);
                    displacements[k * 3 + 2] = Displacement(2, kx);
                }
            }
        }
        return displacements;
    }

    private int Displacement(int axis, int index) => Kind == ConvKind.SubManifold
        ? (index - (Kernel[axis] - 1) / 2) * Dilation[axis]
        : index * Dilation[axis] - Padding[axis];

    /// <summary>
    /// Whether a kernel map built for this geometry serves a layer of <paramref name="other"/>: the same kind, kernel,
    /// stride and dilation, and the same padding except for submanifold convs (which ignore padding).
    /// </summary>
    public bool SameConvolutionAs(ConvGeometry other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Kind == other.Kind && Kernel == other.Kernel && Stride == other.Stride && Dilation == other.Dilation
            && (Kind == ConvKind.SubManifold || Padding == other.Padding);
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Kind} kernel {Kernel} stride {Stride} padding {Padding} dilation {Dilation}";
}
