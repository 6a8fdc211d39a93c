using KernelGen.KernelMaps;
using KernelGen.Kernels;

namespace KernelGen.Variants;

/// <summary>A generated layer: what its attributes declared and every kernel emitted for it.</summary>
public sealed record LayerDescriptor
{
    /// <summary>Describes a layer (called by generated code); every variant becomes part of it.</summary>
    /// <param name="Name">Fully qualified name of the annotated class.</param>
    /// <param name="Geometry">Kind, kernel, stride, padding, dilation.</param>
    /// <param name="InChannels">Cin.</param>
    /// <param name="OutChannels">Cout.</param>
    /// <param name="HasBias">Whether the layer adds a bias.</param>
    /// <param name="Activation">Epilogue activation.</param>
    /// <param name="Precisions">The precisions the layer has kernels for: F32 and those of its <c>[Quantize]</c>.</param>
    /// <param name="SmoothQuant">Whether the W8A8 kernels fuse SmoothQuant factors.</param>
    /// <param name="Alpha">SmoothQuant migration strength declared on the layer.</param>
    /// <param name="Variants">Every generated variant, fp32 first.</param>
    /// <param name="GeneratorVersion">Version of the generator that emitted the kernels (part of the tuning key).</param>
    public LayerDescriptor(
        string Name, ConvGeometry Geometry, int InChannels, int OutChannels, bool HasBias, Activation Activation,
        IReadOnlyList<Precision> Precisions, bool SmoothQuant, double Alpha, IReadOnlyList<KernelVariant> Variants, string GeneratorVersion = "unknown")
    {
        this.Name = Name;
        this.Geometry = Geometry;
        this.InChannels = InChannels;
        this.OutChannels = OutChannels;
        this.HasBias = HasBias;
        this.Activation = Activation;
        this.Precisions = Precisions.Contains(Precision.F32) ? Precisions.Distinct().ToList() : Precisions.Prepend(Precision.F32).Distinct().ToList();
        this.SmoothQuant = SmoothQuant;
        this.Alpha = Alpha;
        this.Variants = Variants;
        this.GeneratorVersion = GeneratorVersion;
        foreach (var variant in Variants)
        {
            variant.AttachTo(this);
        }
        var kernels = new List<IConvKernel>(Variants) { new GenericConvKernel(this, Precision.F32) };
        if (HasW8A8)
        {
            kernels.Add(new GenericConvKernel(this, Precision.W8A8));
        }
        if (HasF16)
        {
            kernels.Add(new GenericConvKernel(this, Precision.F16));
        }
        Kernels = kernels;
    }

    /// <summary>
    /// A layer described at run time, with no generated kernels: only the generic ones (run-time shapes, any
    /// accelerator) behind the contract, at F32 and the <paramref name="precisions"/> given — for a conv that no
    /// annotated class declares (<c>kernelgen conv</c>, the demo, the quantization study).
    /// </summary>
    public static LayerDescriptor Generic(
        string name, ConvGeometry geometry, int inChannels, int outChannels, Activation activation, bool hasBias = true,
        IReadOnlyList<Precision>? precisions = null, bool smoothQuant = false, double alpha = 0.5) =>
        new(name, geometry, inChannels, outChannels, hasBias, activation, precisions ?? [], smoothQuant, alpha, [], "generic");

    /// <summary>Fully qualified name of the annotated class.</summary>
    public string Name { get; }

    /// <summary>Kind, kernel, stride, padding, dilation.</summary>
    public ConvGeometry Geometry { get; }

    /// <summary>Cin.</summary>
    public int InChannels { get; }

    /// <summary>Cout.</summary>
    public int OutChannels { get; }

    /// <summary>Whether the layer adds a bias.</summary>
    public bool HasBias { get; }

    /// <summary>Epilogue activation.</summary>
    public Activation Activation { get; }

    /// <summary>The precisions the layer has kernels for: F32 first, then those of its <c>[Quantize]</c>.</summary>
    public IReadOnlyList<Precision> Precisions { get; }

    /// <summary>Whether the layer has W8A8 kernels (<c>[Quantize(Precision.W8A8)]</c>).</summary>
    public bool HasW8A8 => Precisions.Contains(Precision.W8A8);

    /// <summary>Whether the layer has fp16 kernels (<c>[Quantize(Precision.F16)]</c>).</summary>
    public bool HasF16 => Precisions.Contains(Precision.F16);

    /// <summary>Whether the W8A8 kernels fuse SmoothQuant factors.</summary>
    public bool SmoothQuant { get; }

    /// <summary>SmoothQuant migration strength declared on the layer.</summary>
    public double Alpha { get; }

    /// <summary>Every generated variant, fp32 first.</summary>
    public IReadOnlyList<KernelVariant> Variants { get; }

    /// <summary>Version of the generator that emitted the kernels (part of the tuning key).</summary>
    public string GeneratorVersion { get; }

    /// <summary>
    /// Every way to run this layer behind the one contract: the generated variants of every family (GPU-style,
    /// barrier-free, CPU SIMD of each instruction set) and the generic kernels (fp32, and W8A8 when the layer has int8).
    /// </summary>
    public IReadOnlyList<IConvKernel> Kernels { get; }

    /// <summary>The kernels that declare <paramref name="needs"/> (whether or not they can run on a given device).</summary>
    public IEnumerable<IConvKernel> KernelsFor(KernelNeeds needs) => Kernels.Where(k => k.Capabilities.Covers(needs, out _));

    /// <summary>The generic kernel at <paramref name="precision"/>: it has the whole epilogue and runs on every accelerator.</summary>
    public IConvKernel GenericKernel(Precision precision) =>
        Kernels.FirstOrDefault(k => k.Shape == KernelShape.Generic && k.Capabilities.Precision == precision)
        ?? throw new ArgumentException($"{Name} has no {precision} kernels (no [Quantize(Precision.{precision})])");

    /// <summary>The kernel named <paramref name="name"/> (as the tuning cache stores it), or null.</summary>
    public IConvKernel? FindKernel(string name) => Kernels.FirstOrDefault(k => k.Name == name);

    /// <summary>The declared tile set, e.g. <c>64x16x8,128x16x8</c> (part of the tuning key: another tile set is another candidate set; the tensor-core variants follow from it).</summary>
    public string TileSet => string.Join(",", Variants.Where(v => v.Shape is KernelShape.GpuStyle or KernelShape.BarrierFree).Select(v => $"{v.Tile.BlockM}x{v.Tile.BlockN}x{v.Tile.BlockK}").Distinct().Order(StringComparer.Ordinal));

    /// <summary>Value equality on the declaration (the variants are the generated code's; their names identify them).</summary>
    public bool Equals(LayerDescriptor? other) =>
        other is not null && Name == other.Name && Geometry == other.Geometry && InChannels == other.InChannels
        && OutChannels == other.OutChannels && HasBias == other.HasBias && Activation == other.Activation
        && Precisions.SequenceEqual(other.Precisions) && SmoothQuant == other.SmoothQuant && Alpha.Equals(other.Alpha)
        && GeneratorVersion == other.GeneratorVersion && Variants.Select(v => v.Name).SequenceEqual(other.Variants.Select(v => v.Name));

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Name, Geometry, InChannels, OutChannels, GeneratorVersion);
}
