using KernelGen.KernelMaps;

namespace KernelGen.Variants;

/// <summary>A generated layer: what its attributes declared and every kernel variant emitted for it.</summary>
/// <param name="Name">Fully qualified name of the annotated class.</param>
/// <param name="Geometry">Kind, kernel, stride, padding, dilation.</param>
/// <param name="InChannels">Cin.</param>
/// <param name="OutChannels">Cout.</param>
/// <param name="HasBias">Whether the layer adds a bias.</param>
/// <param name="Activation">Epilogue activation.</param>
/// <param name="Quantization">fp32 only, or W8A8 as well.</param>
/// <param name="SmoothQuant">Whether the W8A8 kernels fuse SmoothQuant factors.</param>
/// <param name="Alpha">SmoothQuant migration strength declared on the layer.</param>
/// <param name="Variants">Every generated variant, fp32 first.</param>
/// <param name="GeneratorVersion">Version of the generator that emitted the kernels (part of the tuning key).</param>
public sealed record LayerDescriptor(
    string Name, ConvGeometry Geometry, int InChannels, int OutChannels, bool HasBias, Activation Activation,
    QuantMode Quantization, bool SmoothQuant, double Alpha, IReadOnlyList<KernelVariant> Variants, string GeneratorVersion = "unknown")
{
    /// <summary>The fp32 variants.</summary>
    public IEnumerable<F32Variant> F32Variants => Variants.OfType<F32Variant>();

    /// <summary>The W8A8 variants.</summary>
    public IEnumerable<W8A8Variant> W8A8Variants => Variants.OfType<W8A8Variant>();
}
