using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis;

namespace KernelGen.Generator.Tests;

/// <summary>
/// Random attribute values, hundreds of them: the generator never throws, and either reports an error or emits code
/// that compiles without errors or warnings.
/// </summary>
public sealed class FuzzTests
{
    [Fact]
    public void Random_attributes_give_diagnostics_or_code_that_compiles()
    {
        int seed = Random.Shared.Next();
        var random = new Random(seed);
        int errors = 0, generated = 0;
        for (int i = 0; i < 300; i++)
        {
            string source = RandomLayer(random, i);
            var (result, output) = GeneratorHarness.Run(source);
            Assert.True(result.Exception is null, $"seed {seed}, case {i}: the generator threw {result.Exception}\n{source}");
            if (result.Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error))
            {
                errors++;
                Assert.Empty(result.GeneratedSources);
                continue;
            }
            generated++;
            var problems = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
            Assert.True(problems.Count == 0, $"seed {seed}, case {i}: generated code does not compile cleanly:\n{string.Join("\n", problems)}\n{source}");
        }
        // Both outcomes must be exercised, or the fuzzer is not fuzzing.
        Assert.True(errors > 30 && generated > 30, $"seed {seed}: {errors} rejected, {generated} generated");
    }

    private static string RandomLayer(Random random, int index)
    {
        int Pick(params int[] values) => values[random.Next(values.Length)];
        // Mostly plausible values, sometimes a hostile one, so both outcomes come up often.
        int Mostly(int[] plausible, int[] hostile) => random.Next(12) == 0 ? Pick(hostile) : Pick(plausible);
        string Axes(string name, params int[] values)
        {
            return random.Next(16) switch
            {
                < 6 => "",
                < 11 => $", {name} = {Pick(values)}",
                < 15 => $", {name}PerAxis = new[] {{ {string.Join(", ", Enumerable.Range(0, Mostly([3], [2, 4])).Select(_ => Pick(values)))} }}",
                _ => $", {name} = {Pick(values)}, {name}PerAxis = new[] {{ {Pick(values)}, {Pick(values)}, {Pick(values)} }}",
            };
        }
        int kind = Mostly([0, 1, 2], [5, -1]);
        var conv = new StringBuilder($"[SparseConv3d(InChannels = {Mostly([1, 3, 4, 5, 16, 33, 128], [-1, 0, 4096])}, OutChannels = {Mostly([1, 2, 7, 16, 64, 130], [-3, 0])}");
        conv.Append($", Kind = (ConvKind)({kind})");
        conv.Append(Axes("Kernel", kind == 0 ? [1, 3, 3, 5, Mostly([3], [-1, 0, 2])] : [1, 2, 3, 3, 5, Mostly([3], [-1, 0])]));
        conv.Append(Axes("Stride", kind == 0 ? [1, 1, 1, Mostly([1], [0, 2])] : [1, 2, 2, Mostly([1], [0])]));
        conv.Append(Axes("Padding", 0, 1, 2, Mostly([0], [-1])));
        conv.Append(Axes("Dilation", 1, 1, 2, Mostly([1], [0])));
        conv.Append($", Bias = {(random.Next(2) == 0 ? "true" : "false")}, Activation = (Activation)({Mostly([0, 1], [3])}))]");

        var attributes = new StringBuilder().AppendLine(conv.ToString());
        int tiles = Pick(0, 1, 1, 2, 3);
        for (int t = 0; t < tiles; t++)
        {
            attributes.AppendLine($"[Tile(BlockM = {Mostly([16, 32, 64, 128], [0, 8, 48, 256, 512])}, BlockN = {Mostly([4, 8, 16, 32, 64], [2, 256])}, BlockK = {Mostly([4, 8, 16, 32], [1, 64, 128])})]");
        }
        if (random.Next(3) > 0)
        {
            string alpha = (random.Next(12) == 0 ? random.NextDouble() * 4 - 2 : random.NextDouble()).ToString("0.##", CultureInfo.InvariantCulture);
            // Precision values: none, W8A8, W8A8 and F16, or an undefined one.
            int mode = Mostly([0, 1, 1, 3], [4]);
            bool smooth = mode is 1 or 3 ? random.Next(2) == 0 : random.Next(12) == 0;
            string precisions = mode switch { 0 => "", 1 => "Precision.W8A8, ", 3 => "Precision.W8A8, Precision.F16, ", _ => $"(Precision)({mode}), " };
            attributes.AppendLine($"[Quantize({precisions}SmoothQuant = {(smooth ? "true" : "false")}, Alpha = {alpha})]");
        }
        string declaration = random.Next(24) switch
        {
            0 => $"public class Layer{index} {{ }}",
            1 => $"public partial class Layer{index}<T> {{ }}",
            _ => $"public partial class Layer{index} {{ }}",
        };
        return $"using KernelGen;\nnamespace Fuzz;\n{attributes}{declaration}\n";
    }
}
