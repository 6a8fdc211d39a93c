using ApprovalTests;
using ApprovalTests.Namers;
using ApprovalTests.Reporters;
using ApprovalTests.Writers;
using Microsoft.CodeAnalysis;

namespace KernelGen.Generator.Tests;

/// <summary>
/// Generated code pinned with ApprovalTests: one Snapshots/*.approved.cs per generated hint name, reviewed by a person.
/// A change writes a .received.cs beside it; read the diff, then rename it to .approved.cs if it is right.
/// </summary>
[UseReporter(typeof(QuietReporter))]
[UseApprovalSubdirectory("Snapshots")]
public sealed class SnapshotTests
{
    public const string Fp32Subm = """
        using KernelGen;

        namespace Demo;

        [SparseConv3d(InChannels = 16, OutChannels = 16, Kernel = 3, Padding = 1, Bias = true, Activation = Activation.Relu)]
        [Tile(BlockM = 32, BlockN = 16, BlockK = 16)]
        [Tile(BlockM = 64, BlockN = 16, BlockK = 8)]
        public partial class SubmBlock
        {
        }
        """;

    public const string W8A8SmoothStrided = """
        using KernelGen;

        namespace Demo.Backbone;

        [SparseConv3d(InChannels = 128, OutChannels = 128, Kind = ConvKind.Sparse, KernelPerAxis = new[] { 3, 1, 1 },
                      StridePerAxis = new[] { 2, 1, 1 }, Bias = true, Activation = Activation.Relu)]
        [Tile(BlockM = 64, BlockN = 64, BlockK = 32)]
        [Quantize(Precision.W8A8, Precision.F16, SmoothQuant = true, Alpha = 0.5)]
        internal partial class ExtraConv
        {
        }
        """;

    // The tile listed twice: once as it is, once with a 3-stage cp.async pipeline for its tensor-core kernels.
    public const string Pipelined = """
        using KernelGen;

        namespace Demo;

        [SparseConv3d(InChannels = 32, OutChannels = 32, Kernel = 3, Padding = 1, Bias = true, Activation = Activation.Relu)]
        [Tile(BlockM = 64, BlockN = 32, BlockK = 32)]
        [Tile(BlockM = 64, BlockN = 32, BlockK = 32, AsyncStages = 3)]
        [Quantize(Precision.W8A8, Precision.F16)]
        public partial class SubmPipelined
        {
        }
        """;

    [Fact]
    public void Fp32_subm_layer_with_two_tiles() => VerifyEach(Fp32Subm, 3 + 6); // layer, 2 GPU tiles, 2 × 3 CPU fp32

    [Fact]
    public void W8A8_smoothquant_strided_layer_with_kernel_3_1_1() => VerifyEach(W8A8SmoothStrided, 5 + 7); // layer, 2 GPU, 2 tensor-core (W8A8, fp16), 3 CPU fp32 + 4 CPU W8A8

    /// <summary>The pipelined kernels (the others are the same text as every layer's) and the layer file that registers them.</summary>
    [Fact]
    public void Pipelined_tensor_core_kernels_of_a_tile_with_async_stages() =>
        VerifyEach(Pipelined, 1 + 2 + 4 + 7, hint => hint.Contains("_Async", StringComparison.Ordinal) || hint.EndsWith(".Layer.g.cs", StringComparison.Ordinal));

    [Theory]
    [InlineData(Fp32Subm)]
    [InlineData(W8A8SmoothStrided)]
    [InlineData(Pipelined)]
    public void Snapshot_code_compiles_without_warnings(string source)
    {
        var (result, output) = GeneratorHarness.Run(source);
        Assert.Empty(GeneratorHarness.AllDiagnostics(result, output));
    }

    // The generator's informational version carries the commit it was built from; the snapshots pin the code, not the build.
    private static string ScrubVersion(string text) =>
        System.Text.RegularExpressions.Regex.Replace(text, "GeneratorVersion: \"[^\"]*\"", "GeneratorVersion: \"<version>\"");

    private static void VerifyEach(string source, int expectedFiles, Func<string, bool>? pinned = null)
    {
        var (result, _) = GeneratorHarness.Run(source);
        Assert.Empty(result.Diagnostics);
        Assert.Equal(expectedFiles, result.GeneratedSources.Length);
        // Verify every file before failing, so one run writes every .received.cs that differs.
        var failures = new List<string>();
        foreach (var generated in result.GeneratedSources.Where(g => pinned is null || pinned(g.HintName)))
        {
            // Hint "Demo.SubmBlock.Layer.g.cs" → Snapshots/SnapshotTests.<test>.ForScenario.Demo.SubmBlock.Layer.approved.cs
            using (ApprovalResults.ForScenario(generated.HintName.Replace(".g.cs", "")))
            {
                try
                {
                    Approvals.Verify(WriterFactory.CreateTextWriter(ScrubVersion(generated.SourceText.ToString()), "cs"));
                }
                catch (Exception e) when (e.GetType().Namespace?.StartsWith("ApprovalTests", StringComparison.Ordinal) == true)
                {
                    failures.Add($"{generated.HintName}: {e.Message}");
                }
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
