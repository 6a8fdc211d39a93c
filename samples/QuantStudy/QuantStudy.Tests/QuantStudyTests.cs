using KernelGen.Kernels;
using KernelGen.Quantization;
using KernelGen.Samples.QuantStudy;
using Xunit;

namespace QuantStudy.Tests;

/// <summary>The study end to end on the CPU accelerator, its bad input, and the seed's per-layer decision.</summary>
public sealed class QuantStudyTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("quant-study-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string P(string name) => Path.Combine(_folder, name);

    private static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = QuantStudyCommand.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void The_report_has_its_tables_and_plots()
    {
        // A small real-format scan: 4,000 points in the nuScenes range, written as a KITTI .bin (reflectance 0–1).
        var random = new Random(5);
        var points = new float[4000 * 4];
        for (int p = 0; p < 4000; p++)
        {
            points[p * 4] = (float)(random.NextDouble() * 60 - 30);
            points[p * 4 + 1] = (float)(random.NextDouble() * 60 - 30);
            points[p * 4 + 2] = (float)(random.NextDouble() * 3 - 2);
            points[p * 4 + 3] = (float)random.NextDouble();
        }
        var bytes = new byte[points.Length * 4];
        Buffer.BlockCopy(points, 0, bytes, 0, bytes.Length);
        File.WriteAllBytes(P("scan.bin"), bytes);

        var result = Run("--out", P("report"), "--input", P("scan.bin"), "--sites", "1500", "--accelerator", "cpu");
        Assert.True(result.ExitCode == 0, result.Error + result.Output);
        string report = File.ReadAllText(P("report/report.md"));
        foreach (var section in new[] { "## 1. Loss against input scale", "## 2. Loss against SmoothQuant α", "## 3. Real data: scan.bin", "## 4. Mixed precision by measurement", "**Why the fp32 baseline's loss grows" })
        {
            Assert.Contains(section, report);
        }
        foreach (var plot in new[] { "scale_l1.png", "scale_relative.png", "alpha_l1.png", "real_channels.png", "real_layers.png" })
        {
            var file = new FileInfo(P($"report/{plot}"));
            Assert.True(file.Exists && file.Length > 5_000, $"{plot} missing or empty");
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(file.FullName)[..4]);
            Assert.Contains($"({plot})", report);
        }
        Assert.Contains("| intensity |", report);
    }

    [Theory]
    [InlineData("--budget", "0", "--budget 0 must be positive")]
    [InlineData("--sites", "0", "--sites 0 must be between 1 and 1000000")]
    [InlineData("--model", "pointpillars", "no built-in model 'pointpillars'")]
    [InlineData("--input", "/nonexistent/scan.bin", "/nonexistent/scan.bin")]
    public void Bad_input_is_one_line_and_exit_2(string option, string value, string message)
    {
        var result = Run("--out", P("report"), option, value, "--accelerator", "cpu");
        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(message, result.Error);
        Assert.False(Directory.Exists(P("report")), "nothing is written for bad input");
    }

    [Fact]
    public void Mixed_precision_policy_keeps_layers_over_budget_in_fp32_and_says_why()
    {
        var decisions = MixedPrecisionPolicy.Decide(
        [
            new LayerMeasurement("conv_input", new LayerQuantization(0.1f, [1f, 2f], Alpha: 0.75), new ErrorMetrics(0, 0.004, 0.99999, 48, 0)),
            new LayerMeasurement("conv4", new LayerQuantization(0.2f), new ErrorMetrics(0, 0.03, 0.9995, 30, 0)),
        ], relativeL2Budget: 0.01);
        Assert.Equal("W8A8 (s8) + SmoothQuant (α = 0.75)", decisions[0].Describe());
        Assert.Equal(0.75, decisions[0].Int8!.Alpha);
        Assert.Equal("int8 — W8A8 (s8) + SmoothQuant (α = 0.75): relative L2 0.40 %, cosine 0.99999 ≤ budget 1.00 %", decisions[0].Reason);
        Assert.Null(decisions[1].Int8);
        Assert.Equal("fp32", decisions[1].Describe());
        Assert.StartsWith("fp32 — W8A8 (s8): relative L2 3.00 %", decisions[1].Reason);
    }

}
