using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace KernelGen.Generator.Tests;

/// <summary>Edits that do not change an annotated layer re-emit nothing: every tracked step is Cached or Unchanged.</summary>
public sealed class IncrementalityTests
{
    private const string Layer = """
        using KernelGen;
        namespace Demo;
        [SparseConv3d(InChannels = 16, OutChannels = 32, Kind = ConvKind.Sparse, Stride = 2, Padding = 1)]
        [Tile(BlockM = 32, BlockN = 16, BlockK = 16)]
        [Quantize(Precision.W8A8)]
        public partial class Down { }
        """;

    private const string Other = """
        namespace Demo;
        public static class Helpers { public static int Twice(int x) => 2 * x; }
        """;

    [Theory]
    [InlineData("another file gets a new member", 1, "namespace Demo;\npublic static class Helpers { public static int Twice(int x) => 2 * x; public static int Thrice(int x) => 3 * x; }")]
    [InlineData("another file gets a comment", 1, "// a comment\n" + Other)]
    [InlineData("the layer's file gets a comment", 0, "// a comment\n" + Layer)]
    [InlineData("the layer's file gets an unrelated class", 0, Layer + "\npublic class Unrelated { }")]
    public void Unrelated_edits_re_emit_nothing(string edit, int treeIndex, string newText)
    {
        var compilation = GeneratorHarness.Compilation(Layer, Other);
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);
        var first = driver.GetRunResult().Results.Single();
        Assert.Equal(4 + 7, first.GeneratedSources.Length); // layer, fp32 and W8A8 GPU kernels, the W8A8 tensor-core kernel, 7 CPU variants (3 fp32, 4 W8A8)

        var tree = compilation.SyntaxTrees.ElementAt(treeIndex);
        var edited = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(newText, GeneratorHarness.ParseOptions, tree.FilePath));
        var second = driver.RunGenerators(edited).GetRunResult().Results.Single();

        foreach (var step in new[] { ConvKernelGenerator.Steps.Models, ConvKernelGenerator.Steps.Diagnostics })
        {
            var outputs = second.TrackedSteps[step].SelectMany(s => s.Outputs).ToList();
            Assert.NotEmpty(outputs);
            Assert.All(outputs, o => Assert.True(
                o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
                $"{edit}: step {step} output was {o.Reason}"));
        }
        var emitted = second.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs).ToList();
        Assert.All(emitted, o => Assert.True(
            o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{edit}: an output was {o.Reason}"));
        Assert.Equal(first.GeneratedSources.Select(s => s.SourceText.ToString()), second.GeneratedSources.Select(s => s.SourceText.ToString()));
    }

    [Fact]
    public void Changing_the_layer_re_emits_it()
    {
        var compilation = GeneratorHarness.Compilation(Layer, Other);
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);
        var tree = compilation.SyntaxTrees.First();
        var edited = compilation.ReplaceSyntaxTree(tree,
            CSharpSyntaxTree.ParseText(Layer.Replace("OutChannels = 32", "OutChannels = 48"), GeneratorHarness.ParseOptions, tree.FilePath));
        var second = driver.RunGenerators(edited).GetRunResult().Results.Single();
        Assert.Contains(second.TrackedSteps[ConvKernelGenerator.Steps.Models].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("public const int OutChannels = 48;", second.GeneratedSources.Single(s => s.HintName.EndsWith(".Layer.g.cs")).SourceText.ToString());
    }
}
