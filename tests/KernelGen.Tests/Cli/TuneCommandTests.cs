using System.Text.Json;

namespace KernelGen.Tests.Cli;

/// <summary>
/// <c>kernelgen tune</c> over any network description through the runner: it tunes every node group once, stores the
/// choices, and a second run with the same keys reuses every one; bad options are one-line errors before any work.
/// </summary>
public sealed class TuneCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("kernelgen-tune-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Tunes_the_second_backbone_from_its_description_and_reuses_the_cache()
    {
        // A small KITTI-format scan inside SECOND's range, so the test tunes quickly.
        var random = new Random(5);
        string scan = Path.Combine(_folder, "small.bin");
        var points = new float[1500 * 4];
        for (int i = 0; i < 1500; i++)
        {
            points[i * 4] = (float)(random.NextDouble() * 20);
            points[i * 4 + 1] = (float)(random.NextDouble() * 20 - 10);
            points[i * 4 + 2] = (float)(random.NextDouble() * 3 - 2.5);
            points[i * 4 + 3] = (float)random.NextDouble();
        }
        File.WriteAllBytes(scan, System.Runtime.InteropServices.MemoryMarshal.AsBytes(points.AsSpan()).ToArray());
        string cache = Path.Combine(_folder, "tuning.json"), report = Path.Combine(_folder, "tune.json");

        var first = CliRunner.Run("tune", "--model", "second", "--input", scan, "--accelerator", "cpu", "--cache", cache, "--json", report);
        Assert.True(first.ExitCode == 0, first.Error);
        Assert.Contains("tuning second (12 nodes)", first.Output);
        var groups = JsonDocument.Parse(File.ReadAllText(report)).RootElement.EnumerateArray().ToList();
        // fp32, W8A8 and fp16 for every node group; conv1 shares conv_input's map but is another layer class, so it is its own group.
        Assert.Equal(3 * 9, groups.Count);
        // A fresh cache: measured, except where an earlier group had the same key (conv4.1 has conv3.1's layer class
        // and size bucket here), which the cache rightly serves.
        Assert.False(groups[0].GetProperty("fromCache").GetBoolean());
        Assert.True(groups.Count(g => !g.GetProperty("fromCache").GetBoolean()) >= 12);
        Assert.Contains(groups, g => g.GetProperty("nodes").EnumerateArray().Select(n => n.GetString()).SequenceEqual(["conv2.1", "conv2.2"]));
        Assert.All(groups, g => Assert.Contains(g.GetProperty("winner").GetString(), g.GetProperty("trials").EnumerateArray().Select(t => t.GetProperty("name").GetString())));

        var second = CliRunner.Run("tune", "--model", "second", "--input", scan, "--accelerator", "cpu", "--cache", cache);
        Assert.True(second.ExitCode == 0, second.Error);
        Assert.Contains("all 27 choices reused from the cache", second.Output);
    }

    [Theory]
    [InlineData("--model", "pointpillars", "'pointpillars' is neither a built-in model (centerpoint, second) nor a .json description")]
    [InlineData("--layers", "/nonexistent/MyLayers.dll", "--layers: no assembly at /nonexistent/MyLayers.dll")]
    [InlineData("--json", "/nonexistent-folder/out.json", "--json: folder /nonexistent-folder does not exist")]
    public void Bad_options_are_one_line_errors_with_exit_code_2(string option, string value, string expected)
    {
        var result = CliRunner.Run("tune", option, value);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.Error);
        Assert.Single(result.ErrorLines);
    }
}
