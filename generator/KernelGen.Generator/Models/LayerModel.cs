using System.Linq;
using KernelGen.Kernels;

namespace KernelGen.Generator.Models;

/// <summary>
/// What the generator understood from one annotated class: plain, value-equal data (no symbols, no syntax), every
/// number the templates print already computed.
/// </summary>
/// <param name="Namespace">Containing namespace, empty for the global namespace.</param>
/// <param name="ContainingTypes">Enclosing type declarations, outermost first (e.g. "partial class Outer").</param>
/// <param name="ClassName">The annotated class's name.</param>
/// <param name="Accessibility">Its declared accessibility keyword ("public", "internal", ...).</param>
/// <param name="FullName">Fully qualified metadata-style name (Namespace.Outer.Class) for registration.</param>
/// <param name="HintPrefix">Prefix of the generated files' hint names.</param>
/// <param name="Registrable">Whether a module initializer can see the class (no private or protected container).</param>
internal sealed record LayerModel(
    string Namespace,
    EquatableArray<string> ContainingTypes,
    string ClassName,
    string Accessibility,
    string FullName,
    string HintPrefix,
    bool Registrable,
    ConvModel Conv,
    QuantModel Quant,
    EquatableArray<VariantModel> Variants,
    EquatableArray<CpuVariantModel> CpuVariants,
    EquatableArray<TensorCoreVariantModel> TensorCoreVariants);

/// <summary>The convolution: kind, shape and epilogue.</summary>
internal sealed record ConvModel(
    string Kind,
    int InChannels,
    int OutChannels,
    AxesModel Kernel,
    AxesModel Stride,
    AxesModel Padding,
    AxesModel Dilation,
    bool Bias,
    bool Relu)
{
    public int KernelVolume => Kernel.Z * Kernel.Y * Kernel.X;

    /// <summary>Words of four int8 input channels (W8A8 packing).</summary>
    public int InChannelWords => (InChannels + 3) / 4;

    /// <summary>Whether the last int8 word holds zero padding (Cin not a multiple of 4): its lanes need guards.</summary>
    public bool PaddedWord => InChannels % 4 != 0;

    /// <summary>Words of two fp16 input channels (fp16 packing).</summary>
    public int InChannelPairs => (InChannels + 1) / 2;

    /// <summary>Whether the last fp16 word holds a zero (odd Cin).</summary>
    public bool PaddedPair => InChannels % 2 != 0;
}

/// <summary>A per-axis (z, y, x) triple.</summary>
internal sealed record AxesModel(int Z, int Y, int X)
{
    public override string ToString() => Z == Y && Y == X ? Z.ToString() : $"({Z},{Y},{X})";
}

/// <summary>
/// The precisions besides fp32 the layer asked for (rows of the kernel table, in the table's order), SmoothQuant and its
/// alpha.
/// </summary>
internal sealed record QuantModel(EquatableArray<PrecisionFamily> Precisions, bool SmoothQuant, double Alpha, bool AcceptChannelPadding)
{
    /// <summary>Whether some precision multiplies int8 words (the layer gets <c>InChannelWords</c> and the int8 epilogue).</summary>
    public bool Int8 => Precisions.Any(p => p.Arithmetic == "Int8");

    /// <summary>Whether some precision multiplies fp16 pairs (the layer gets <c>InChannelPairs</c> and the fp16 prologue).</summary>
    public bool Half => Precisions.Any(p => p.Arithmetic == "Half");

    /// <summary>The layer's precisions as a C# array of the runtime's <c>Precision</c>, fp32 first.</summary>
    public string PrecisionsExpression =>
        "new global::KernelGen.Precision[] { global::KernelGen.Precision.F32"
        + string.Concat(Precisions.Select(p => ", global::KernelGen.Precision." + p.Precision)) + " }";
}
