using System.Collections.Immutable;
using KernelGen.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace KernelGen.Generator.Tests;

/// <summary>Runs the generator on source text in memory, as the compiler would, against the real runtime assembly.</summary>
public static class GeneratorHarness
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        var trusted = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var ours = new[] { typeof(KernelGen.SparseConv3dAttribute).Assembly.Location, typeof(ILGPU.Context).Assembly.Location };
        return trusted.Concat(ours).Distinct().Select(path => (MetadataReference)MetadataReference.CreateFromFile(path)).ToImmutableArray();
    });

    public static CSharpParseOptions ParseOptions { get; } = new(LanguageVersion.Latest);

    public static CSharpCompilation Compilation(params string[] sources) => CSharpCompilation.Create(
        "Consumer",
        sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"Layer{i}.cs")),
        References.Value,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: true));

    public static GeneratorDriver Driver() => CSharpGeneratorDriver.Create(
        [new ConvKernelGenerator().AsSourceGenerator()],
        parseOptions: ParseOptions,
        driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Generator output for <paramref name="source"/> and the compilation that includes it.</summary>
    public static (GeneratorRunResult Result, Compilation Output) Run(params string[] sources)
    {
        var driver = Driver().RunGeneratorsAndUpdateCompilation(Compilation(sources), out var output, out _);
        return (driver.GetRunResult().Results.Single(), output);
    }

    /// <summary>Diagnostics of the generator plus compiler errors and warnings of the compilation with its output.</summary>
    public static IReadOnlyList<Diagnostic> AllDiagnostics(GeneratorRunResult result, Compilation output) =>
        result.Diagnostics.Concat(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning)).ToList();

    /// <summary>The repository's root folder (the one holding KernelGen.sln), found above the test binaries.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "KernelGen.sln")))
            {
                return dir.FullName;
            }
        }
        throw new DirectoryNotFoundException("KernelGen.sln not found above the test binaries");
    }
}
