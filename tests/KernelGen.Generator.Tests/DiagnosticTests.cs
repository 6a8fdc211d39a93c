using Microsoft.CodeAnalysis;

namespace KernelGen.Generator.Tests;

/// <summary>One test per diagnostic ID: the layer that triggers it, the ID, the severity and the message.</summary>
public sealed class DiagnosticTests
{
    private static string Layer(string attributes, string declaration = "public partial class L { }") => $$"""
        using KernelGen;
        namespace Demo;
        {{attributes}}
        {{declaration}}
        """;

    private const string Tile = "[Tile(BlockM = 32, BlockN = 16, BlockK = 16)]";

    public static TheoryData<string, string, string> Cases() => new()
    {
        { Layer($"[SparseConv3d(InChannels = 8, OutChannels = 8)] {Tile}", "public class L { }"), "KGEN0001",
          "[SparseConv3d] on 'L': the class and every type containing it must be declared 'partial' so KernelGen can add its kernels; 'L' is not" },
        { Layer($"[SparseConv3d(InChannels = 8, OutChannels = 8)] {Tile}", "public partial class L<T> { }"), "KGEN0002",
          "[SparseConv3d] on 'L': 'L' is generic; kernels need a non-generic class" },
        { Layer($"[SparseConv3d(InChannels = 0, OutChannels = 8)] {Tile}"), "KGEN0003",
          "[SparseConv3d] on 'L': InChannels = 0 is not valid; channel counts must be at least 1" },
        { Layer($"[SparseConv3d(InChannels = 8, OutChannels = 8, Kernel = 2)] {Tile}"), "KGEN0004",
          "[SparseConv3d] on 'L': kernel 2 is not valid; a submanifold (ConvKind.SubManifold) kernel must be odd on every axis" },
        { Layer($"[SparseConv3d(InChannels = 8, OutChannels = 8, Stride = 2)] {Tile}"), "KGEN0005",
          "[SparseConv3d] on 'L': stride 2 is not valid; a submanifold conv keeps its sites, so its stride must be 1; use ConvKind.Sparse to downsample" },
        { Layer($"[SparseConv3d(InChannels = 8, OutChannels = 8, Kind = ConvKind.Sparse, PaddingPerAxis = new[] {{ 0, -1, 1 }})] {Tile}"), "KGEN0006",
          "[SparseConv3d] on 'L': padding (0,-1,1) is not valid; padding must be 0 or more on every axis" },
        { Layer($"[SparseConv3d(InChannels = 8, OutChannels = 8, Dilation = 0)] {Tile}"), "KGEN0007",
          "[SparseConv3d] on 'L': dilation 0 is not valid; dilation must be at least 1 on every axis" },
        { Layer($"[SparseConv3d(InChannels = 8, OutChannels = 8, KernelPerAxis = new[] {{ 3, 1 }})] {Tile}"), "KGEN0008",
          "[SparseConv3d] on 'L': KernelPerAxis with 2 value(s) is not valid; it needs exactly three values in (z, y, x) order" },
        { Layer("[SparseConv3d(InChannels = 8, OutChannels = 8)] [Tile(BlockM = 48, BlockN = 16, BlockK = 16)]"), "KGEN0009",
          "[Tile] on 'L': BlockM = 48 is not a power of two; use one of 16, 32, 64, 128, 256" },
        { Layer("[SparseConv3d(InChannels = 8, OutChannels = 8)] [Tile(BlockM = 32, BlockN = 16, BlockK = 128)]"), "KGEN0010",
          "[Tile] on 'L': BlockK = 128 is outside the supported range 4 to 64" },
        { Layer("[SparseConv3d(InChannels = 8, OutChannels = 8)] [Tile(BlockM = 256, BlockN = 64, BlockK = 64)]"), "KGEN0011",
          "[Tile(BlockM = 256, BlockN = 64, BlockK = 64)] on 'L': the F32 kernel needs 82028 bytes of shared memory per group, over the 49152-byte (48 KB) limit" },
        { Layer($"[SparseConv3d(InChannels = 8, OutChannels = 8)] {Tile} {Tile}"), "KGEN0012",
          "[Tile(BlockM = 32, BlockN = 16, BlockK = 16)] on 'L' appears more than once" },
        { Layer($"[SparseConv3d(InChannels = 5, OutChannels = 8)] {Tile} [Quantize(Precision.W8A8)]"), "KGEN0013",
          "[Quantize(Precision.W8A8)] on 'L': int8 kernels pack input channels in groups of 4, so InChannels = 5 is zero-padded to 8 and 38% of the int8 work is padding; give the layer 8 input channels, keep it fp32, or accept it with [Quantize(..., AcceptChannelPadding = true)]" },
        { Layer($"[SparseConv3d(InChannels = 8, OutChannels = 8)] {Tile} [Quantize(SmoothQuant = true)]"), "KGEN0014",
          "[Quantize] on 'L': SmoothQuant = true needs Precision.W8A8, but the precisions asked for are none" },
        { Layer($"[SparseConv3d(InChannels = 8, OutChannels = 8)] {Tile} [Quantize(Precision.W8A8, SmoothQuant = true, Alpha = 1.5)]"), "KGEN0015",
          "[Quantize] on 'L': Alpha = 1.5 is outside [0, 1]" },
        { Layer($"[SparseConv3d(InChannels = 4096, OutChannels = 8, Kernel = 5)] [Tile(BlockM = 16, BlockN = 8, BlockK = 8)] [Quantize(Precision.W8A8)]"), "KGEN0016",
          "[Quantize(Precision.W8A8)] on 'L': K = 125 offsets × 4096 padded input channels × 255 × 127 (u8 activations × int8 weights) can reach 16581120000, over int32's 2147483647" },
        { Layer("[SparseConv3d(InChannels = 8, OutChannels = 8)]"), "KGEN0017",
          "'L' has no [Tile] attribute; generating the default tile BlockM = 64, BlockN = 32, BlockK = 16" },
        { Layer("[SparseConv3d(InChannels = 8, OutChannels = 8)] [Tile(BlockM = 256, BlockN = 256, BlockK = 4)]"), "KGEN0018",
          "[Tile(BlockM = 256, BlockN = 256, BlockK = 4)] on 'L': each of the 16 × 16 threads would hold a 16 × 16 register tile, over the limit of 64 accumulators" },
        { Layer("[SparseConv3d(InChannels = 8, OutChannels = 8)] [Tile(BlockM = 128, BlockN = 128, BlockK = 8, AsyncStages = 4)] [Quantize(Precision.F16)]"), "KGEN0011",
          "[Tile(BlockM = 128, BlockN = 128, BlockK = 8)] on 'L': the 4-stage cp.async tensor-core kernel needs 49260 bytes of shared memory per group" },
        { Layer("[SparseConv3d(InChannels = 8, OutChannels = 8)] [Tile(BlockM = 32, BlockN = 16, BlockK = 16, AsyncStages = 3)] [Tile(BlockM = 32, BlockN = 16, BlockK = 16, AsyncStages = 3)] [Quantize(Precision.F16)]"), "KGEN0012",
          "[Tile(BlockM = 32, BlockN = 16, BlockK = 16)] on 'L' appears more than once" },
        { Layer("[SparseConv3d(InChannels = 8, OutChannels = 8)] [Tile(BlockM = 32, BlockN = 16, BlockK = 16, AsyncStages = 1)] [Quantize(Precision.F16)]"), "KGEN0021",
          "[Tile(BlockM = 32, BlockN = 16, BlockK = 16)] on 'L': AsyncStages = 1 is not supported; use 2, 3 or 4 shared stages, or 0 for no pipelined kernels" },
        { Layer("[SparseConv3d(InChannels = 8, OutChannels = 8)] [Tile(BlockM = 32, BlockN = 16, BlockK = 16, AsyncStages = 3)]"), "KGEN0022",
          "[Tile(BlockM = 32, BlockN = 16, BlockK = 16, AsyncStages = 3)] on 'L': the cp.async pipeline belongs to tensor-core kernels, and this tile has none (the layer quantizes to neither W8A8 nor F16)" },
        { Layer("[SparseConv3d(InChannels = 8, OutChannels = 8)] [Tile(BlockM = 32, BlockN = 4, BlockK = 16, AsyncStages = 2)] [Quantize(Precision.F16)]"), "KGEN0022",
          "(tensor-core kernels need BlockN ≥ 8)" },
        { Layer($"[SparseConv3d(InChannels = 8, OutChannels = 8, Kind = (ConvKind)7)] {Tile}"), "KGEN0019",
          "'L': Kind = 7 is not a defined value; use one of ConvKind.SubManifold, ConvKind.Sparse, ConvKind.Inverse" },
        { Layer($"[SparseConv3d(InChannels = 8, OutChannels = 8)] {Tile} [Quantize(Precision.F16, (Precision)9)]"), "KGEN0019",
          "'L': Quantize precision = 9 is not a defined value; use one of Precision.F32, Precision.W8A8, Precision.F16" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_problem_gets_its_diagnostic(string source, string id, string message)
    {
        var (result, _) = GeneratorHarness.Run(source);
        var diagnostic = Assert.Single(result.Diagnostics, d => d.Id == id);
        Assert.Contains(message, diagnostic.GetMessage());
        Assert.NotEqual(Location.None, diagnostic.Location);
        Assert.Equal(id is "KGEN0013" or "KGEN0017" or "KGEN0022" ? DiagnosticSeverity.Warning : DiagnosticSeverity.Error, diagnostic.Severity);
        if (diagnostic.Severity == DiagnosticSeverity.Error && id is not ("KGEN0011" or "KGEN0018"))
        {
            Assert.Empty(result.GeneratedSources); // an invalid layer generates nothing rather than broken code
        }
    }

    [Fact]
    public void Padding_accepted_on_the_layer_is_not_a_warning_and_the_layer_still_gets_int8_kernels()
    {
        var (result, output) = GeneratorHarness.Run(Layer($"[SparseConv3d(InChannels = 5, OutChannels = 8)] {Tile} [Quantize(Precision.W8A8, AcceptChannelPadding = true)]"));
        Assert.Empty(GeneratorHarness.AllDiagnostics(result, output));
        Assert.Contains(result.GeneratedSources, s => s.HintName.Contains("CpuW8A8_", StringComparison.Ordinal));
    }

    [Fact]
    public void A_tile_listed_again_with_async_stages_adds_pipelined_tensor_core_kernels_only()
    {
        var (result, output) = GeneratorHarness.Run(Layer(
            $"[SparseConv3d(InChannels = 8, OutChannels = 8)] {Tile} [Tile(BlockM = 32, BlockN = 16, BlockK = 16, AsyncStages = 2)] " +
            "[Tile(BlockM = 32, BlockN = 16, BlockK = 16, AsyncStages = 4)] [Quantize(Precision.F16)]"));
        Assert.Empty(GeneratorHarness.AllDiagnostics(result, output));
        Assert.Equal(
            ["Demo.L.F16_Tile32x16x16_Warp16x16_Async2_TensorCore.g.cs", "Demo.L.F16_Tile32x16x16_Warp16x16_Async4_TensorCore.g.cs",
             "Demo.L.F16_Tile32x16x16_Warp16x16_TensorCore.g.cs", "Demo.L.F32_Tile32x16x16.g.cs"],
            result.GeneratedSources.Select(s => s.HintName).Where(h => h.Contains("Tile32x16x16", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Containing_types_must_be_partial_too()
    {
        var (result, _) = GeneratorHarness.Run(Layer(
            $"", $"public class Outer {{ [SparseConv3d(InChannels = 8, OutChannels = 8)] {Tile} public partial class L {{ }} }}"));
        Assert.Contains("'Outer' is not", Assert.Single(result.Diagnostics, d => d.Id == "KGEN0001").GetMessage());
    }

    [Fact]
    public void Nested_partial_layers_generate_code_that_compiles()
    {
        var (result, output) = GeneratorHarness.Run(Layer(
            "", $"public static partial class Backbone {{ [SparseConv3d(InChannels = 8, OutChannels = 8)] {Tile} internal partial class L {{ }} }}"));
        Assert.Empty(GeneratorHarness.AllDiagnostics(result, output));
        Assert.Contains(result.GeneratedSources, s => s.HintName == "Demo.Backbone.L.Layer.g.cs");
    }

    [Fact]
    public void Every_descriptor_has_a_test_or_is_the_internal_error()
    {
        var tested = Cases().Select(row => (string)row[1]).ToHashSet();
        var ids = typeof(ConvKernelGenerator).Assembly.GetType("KernelGen.Generator.Diagnostics.DiagnosticDescriptors")!
            .GetFields().Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => ((DiagnosticDescriptor)f.GetValue(null)!).Id);
        Assert.Equal(["KGEN0020"], ids.Where(id => !tested.Contains(id)));
    }
}
