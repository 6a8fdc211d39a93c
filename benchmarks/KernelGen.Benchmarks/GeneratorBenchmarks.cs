extern alias GeneratorAssembly;
using System.Collections.Immutable;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using ConvKernelGenerator = GeneratorAssembly::KernelGen.Generator.ConvKernelGenerator;

namespace KernelGen.Benchmarks;

/// <summary>
/// Generator cost: a driver over 50 annotated classes (fp32 + W8A8 + SmoothQuant, two tiles each: 5 files per class).
/// Cold: a fresh driver generating everything. Unrelated edit: the same driver after an edit to another file, which
/// must re-emit nothing (checked in the setup and printed). Goal: ≤ 5 ms per class cold.
/// </summary>
[MemoryDiagnoser]
public class GeneratorBenchmarks
{
    public const int Classes = 50;

    private CSharpCompilation _compilation = null!;
    private CSharpCompilation _edited = null!;
    private GeneratorDriver _warm = null!;

    [GlobalSetup]
    public void Setup()
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var layers = string.Join("\n", Enumerable.Range(0, Classes).Select(i => $$"""
            [SparseConv3d(InChannels = {{16 * (1 + i % 4)}}, OutChannels = {{32 * (1 + i % 3)}}, Kind = ConvKind.Sparse, Kernel = 3, Stride = 2, Padding = 1, Bias = true, Activation = Activation.Relu)]
            [Tile(BlockM = 64, BlockN = 32, BlockK = 16)]
            [Tile(BlockM = 128, BlockN = 64, BlockK = 32)]
            [Quantize(Precision.W8A8, SmoothQuant = true)]
            public partial class Layer{{i}} { }
            """));
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Append(typeof(SparseConv3dAttribute).Assembly.Location)
            .Distinct()
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p));
        var other = CSharpSyntaxTree.ParseText("namespace Bench; public static class Other { }", parse, "Other.cs");
        _compilation = CSharpCompilation.Create("Bench",
            [CSharpSyntaxTree.ParseText("using KernelGen;\nnamespace Bench;\n" + layers, parse, "Layers.cs"), other],
            references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        _edited = _compilation.ReplaceSyntaxTree(other,
            CSharpSyntaxTree.ParseText("namespace Bench; public static class Other { public static int X => 1; }", parse, "Other.cs"));

        _warm = NewDriver().RunGenerators(_compilation);
        var files = _warm.GetRunResult().Results.Single().GeneratedSources.Length;
        var rerun = _warm.RunGenerators(_edited).GetRunResult().Results.Single();
        int reEmitted = rerun.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs)
            .Count(o => o.Reason is not (IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged));
        Console.WriteLine($"// {Classes} classes → {files} generated files; re-emitted after an unrelated edit: {reEmitted}");
    }

    private static GeneratorDriver NewDriver() => CSharpGeneratorDriver.Create(
        [new ConvKernelGenerator().AsSourceGenerator()],
        driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    [Benchmark(Description = "cold: 50 classes, every file")]
    public int Cold() => NewDriver().RunGenerators(_compilation).GetRunResult().Results[0].GeneratedSources.Length;

    [Benchmark(Description = "incremental: unrelated edit")]
    public int UnrelatedEdit() => _warm.RunGenerators(_edited).GetRunResult().Results[0].GeneratedSources.Length;
}
