using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace KernelGen.Generator.Tests;

/// <summary>
/// The C# samples of README.md and docs/*.md compile, as a user pasting them into a console project that references the
/// package would build them: each sample with statements is a program of its own, compiled with every declaration-only
/// sample (the annotated layer classes the others use, e.g. the README's <c>Conv3Down</c>) and the generator's output
/// for them, against the runtime, with a console project's implicit usings. A sample that names a type, member or
/// overload the library no longer has fails here.
/// </summary>
public sealed partial class DocumentationSampleTests
{
    // What `<ImplicitUsings>enable</ImplicitUsings>` gives a console project.
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    public static TheoryData<string> Samples()
    {
        var data = new TheoryData<string>();
        foreach (var (id, code) in AllSamples().Where(s => IsProgram(s.Code)))
        {
            data.Add(id);
        }
        return data;
    }

    [Fact]
    public void The_documents_have_samples_with_statements_and_declarations()
    {
        var samples = AllSamples();
        Assert.Contains(samples, s => s.Id.StartsWith("README.md", StringComparison.Ordinal) && !IsProgram(s.Code));
        Assert.True(samples.Count(s => IsProgram(s.Code)) >= 5, string.Join(", ", samples.Select(s => s.Id)));
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Compiles_with_the_generator_against_the_runtime(string id)
    {
        var samples = AllSamples();
        var program = samples.Single(s => s.Id == id);
        var declarations = samples.Where(s => !IsProgram(s.Code)).Select(s => s.Code);
        var compilation = GeneratorHarness.Compilation([ImplicitUsings, program.Code, .. declarations])
            .WithOptions(new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        GeneratorHarness.Driver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        var errors = generatorDiagnostics.Concat(output.GetDiagnostics()).Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, $"{id}:\n{string.Join("\n", errors)}\n\n{program.Code}");
    }

    /// <summary>
    /// Attribute usages written inline in prose and tables (`[Quantize(Precision.W8A8, Precision.F16)]`) compile with the
    /// generator without an error, on a layer class as a user would paste them: a sample in a code span is a sample too.
    /// A precision expression in a span (`Precision.W8A8 | Precision.F16`) is checked inside [Quantize(...)]. A span meant as
    /// a pattern says so with "…" or "..." and is skipped.
    /// </summary>
    [Theory]
    [MemberData(nameof(AttributeSpans))]
    public void Attribute_usages_in_prose_compile_with_the_generator(string span)
    {
        string attribute = span.Replace("\\|", "|", StringComparison.Ordinal);
        string layer = attribute.StartsWith("[SparseConv3d(", StringComparison.Ordinal) ? "" : "[SparseConv3d(InChannels = 16, OutChannels = 16, Kernel = 3)]";
        string code = $$"""
            using KernelGen;
            namespace Documentation;
            {{layer}}
            {{attribute}}
            public partial class DocumentedLayer { }
            """;
        var compilation = GeneratorHarness.Compilation([code]);
        GeneratorHarness.Driver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        var errors = generatorDiagnostics.Concat(output.GetDiagnostics()).Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, $"{span}:\n{string.Join("\n", errors)}");
    }

    [Fact]
    public void The_documents_write_attribute_usages_inline()
    {
        Assert.Contains(InlineAttributeUsages(), span => span.StartsWith("[Quantize(", StringComparison.Ordinal));
    }

    /// <summary>Every distinct inline code span of README.md and docs/*.md that is a usage of one of the library's attributes.</summary>
    public static TheoryData<string> AttributeSpans()
    {
        var data = new TheoryData<string>();
        foreach (var span in InlineAttributeUsages())
        {
            data.Add(span);
        }
        return data;
    }

    private static List<string> InlineAttributeUsages()
    {
        string root = GeneratorHarness.RepositoryRoot();
        var attributes = Directory.GetFiles(Path.Combine(root, "runtime", "KernelGen.Runtime", "Attributes"), "*Attribute.cs")
            .Select(f => Path.GetFileNameWithoutExtension(f)[..^"Attribute".Length]).ToHashSet(StringComparer.Ordinal);
        var files = new[] { Path.Combine(root, "README.md") }.Concat(Directory.GetFiles(Path.Combine(root, "docs"), "*.md"));
        // A precision expression in prose (`Precision.W8A8 | Precision.F16`) is what a reader puts into [Quantize(...)].
        var precisions = files.SelectMany(f => InlinePrecisionExpression().Matches(File.ReadAllText(f)).Select(m => $"[Quantize({m.Groups["span"].Value})]"));
        return files.SelectMany(f => InlineAttribute().Matches(File.ReadAllText(f)).Select(m => m.Groups["span"].Value)).Concat(precisions)
            .Where(span => attributes.Contains(span[1..span.IndexOf('(', StringComparison.Ordinal)]))
            .Where(span => !span.Contains('…', StringComparison.Ordinal) && !span.Contains("...", StringComparison.Ordinal))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    }

    [GeneratedRegex(@"`(?<span>\[[A-Za-z0-9]+\([^`\n]*\)\])`")]
    private static partial Regex InlineAttribute();

    [GeneratedRegex(@"`(?<span>Precision\.[A-Za-z0-9]+(?: *\\?[|&,] *Precision\.[A-Za-z0-9]+)+)`")]
    private static partial Regex InlinePrecisionExpression();

    /// <summary>Every ```csharp block of README.md and docs/*.md, named "FILE#N" (N counts the file's C# blocks from 1).</summary>
    private static List<(string Id, string Code)> AllSamples()
    {
        string root = GeneratorHarness.RepositoryRoot();
        var files = new[] { Path.Combine(root, "README.md") }.Concat(Directory.GetFiles(Path.Combine(root, "docs"), "*.md").Order(StringComparer.Ordinal));
        var samples = new List<(string, string)>();
        foreach (var file in files)
        {
            string name = Path.GetRelativePath(root, file).Replace('\\', '/');
            var blocks = CSharpBlock().Matches(File.ReadAllText(file).Replace("\r\n", "\n"));
            for (int i = 0; i < blocks.Count; i++)
            {
                samples.Add(($"{name}#{i + 1}", blocks[i].Groups["code"].Value));
            }
        }
        return samples;
    }

    private static bool IsProgram(string code) =>
        CSharpSyntaxTree.ParseText(code, GeneratorHarness.ParseOptions).GetCompilationUnitRoot().Members.OfType<GlobalStatementSyntax>().Any();

    [GeneratedRegex(@"^```csharp\n(?<code>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
