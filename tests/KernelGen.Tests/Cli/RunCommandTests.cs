namespace KernelGen.Tests.Cli;

/// <summary><c>kernelgen run</c>: a user's description file runs through the same runner; bad input exits 2 with one line.</summary>
public sealed class RunCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("kernelgen-run-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("--model", "pointpillars", "'pointpillars' is neither a built-in model (centerpoint, second) nor a .json description")]
    [InlineData("--quant", "int4", "--quant must be fp32, fp16, w8a8 or w8a8-smooth, got 'int4'")]
    [InlineData("--layers", "/nonexistent/MyLayers.dll", "--layers: no assembly at /nonexistent/MyLayers.dll")]
    [InlineData("--json", "/nonexistent-folder/out.json", "--json: folder /nonexistent-folder does not exist")]
    [InlineData("--frames", "0", "--frames must be at least 1, got 0")]
    public void Bad_options_are_one_line_errors_with_exit_code_2(string option, string value, string expected)
    {
        var result = CliRunner.Run("run", option, value);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.Error);
        Assert.Single(result.ErrorLines);
    }

    [Fact]
    public void A_description_file_with_an_unknown_layer_class_names_the_node()
    {
        string path = Path.Combine(_folder, "mine.json");
        File.WriteAllText(path, """
            {"format": 1, "name": "mine", "input": {"voxels": "kitti", "features": ["x", "y", "z", "intensity"]},
             "nodes": [{"name": "stem", "layer": "My.Layers.Stem", "indiceKey": "subm1", "from": "input", "weights": {"weight": "stem.weight"}}]}
            """);
        var result = CliRunner.Run("run", "--model", path);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("mine: node stem: no generated layer class 'My.Layers.Stem' is loaded", result.Error);
    }
}
