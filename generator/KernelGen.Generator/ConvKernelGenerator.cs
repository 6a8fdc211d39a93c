using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace KernelGen.Generator;

/// <summary>
/// Turns <c>[SparseConv3d]</c> partial classes into specialized implicit-GEMM kernels, one variant per tile and
/// precision of the kernel table (<c>KernelFamilies</c>): per <c>[Tile]</c> a GPU-style and a barrier-free ILGPU kernel
/// for fp32 and each precision <c>[Quantize]</c> asks for (W8A8, fp16); tensor-core variants (<c>mma.sync</c>) per
/// distinct (BlockM, BlockN); CPU SIMD variants per CPU path; the layer descriptor with its variant table, and the
/// registration with the runtime. Weights are packed at run time (<c>LayerWeights</c>), not in generated code.
/// </summary>
/// <remarks>
/// Pipeline: <c>ForAttributeWithMetadataName</c> → <see cref="Parse"/> turns the symbol into a value-equal
/// <c>LayerModel</c> plus diagnostics at once (no symbol survives the step) → diagnostics and code go to separate
/// outputs, so an edit that changes neither re-emits nothing.
/// </remarks>
[Generator(LanguageNames.CSharp)]
public sealed partial class ConvKernelGenerator : IIncrementalGenerator
{
    internal const string SparseConv3dAttribute = "KernelGen.SparseConv3dAttribute";
    internal const string TileAttribute = "KernelGen.TileAttribute";
    internal const string QuantizeAttribute = "KernelGen.QuantizeAttribute";

    /// <summary>Tracking names of the pipeline steps (the incrementality tests look them up).</summary>
    internal static class Steps
    {
        public const string Parse = "KernelGen.Parse";
        public const string Models = "KernelGen.Models";
        public const string Diagnostics = "KernelGen.Diagnostics";
    }

    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                SparseConv3dAttribute,
                static (node, _) => node is ClassDeclarationSyntax,
                static (attributeContext, cancellationToken) => Parse(attributeContext, cancellationToken))
            .WithTrackingName(Steps.Parse);

        var diagnostics = parsed
            .Select(static (result, _) => result.Diagnostics)
            .WithTrackingName(Steps.Diagnostics);
        context.RegisterSourceOutput(diagnostics, static (output, list) =>
        {
            foreach (var diagnostic in list)
            {
                output.ReportDiagnostic(diagnostic.ToDiagnostic());
            }
        });

        var models = parsed
            .Where(static result => result.Model is not null)
            .Select(static (result, _) => result.Model!)
            .WithTrackingName(Steps.Models);
        context.RegisterSourceOutput(models, static (output, model) => Emit(output, model));
    }
}
