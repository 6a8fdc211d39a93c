using System.Diagnostics;
using KernelGen.IO;
using KernelGen.Models;
using KernelGen.Networks;

namespace KernelGen.Tests.Tools;

/// <summary>
/// tools/pth_to_safetensors.py on checkpoints PyTorch saves from deterministic weights in CenterPoint's (det3d:
/// <c>state_dict</c>, <c>backbone.*</c>, DataParallel <c>module.</c> prefix) and OpenPCDet's (<c>model_state</c>,
/// <c>backbone_3d.*</c>) layouts, spconv 2 and spconv 1 weight layouts: every tensor the description names arrives with
/// its values, <see cref="NetworkWeights.FromSafeTensors"/> loads the result, and a missing tensor is a one-line error.
/// Needs a Python with torch (Debian: python3-torch); skipped with the reason without one.
/// </summary>
public sealed class PthConversionTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("kernelgen-pth-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("centerpoint", "state_dict", "module.", 2)]
    [InlineData("second", "model_state", "", 2)]
    [InlineData("second", "model_state", "", 1)]
    public void Converts_a_checkpoint_to_the_description_tensor_names(string model, string wrapper, string prefix, int spconv)
    {
        string python = PythonWithTorch();
        var network = BuiltInModels.Load(model);
        var shapes = ExpectedShapes(network);
        string checkpoint = Path.Combine(_folder, "model.pth"), output = Path.Combine(_folder, "weights.safetensors");
        SaveCheckpoint(python, checkpoint, shapes, wrapper, prefix, spconv);

        var result = Run(python, Converter, checkpoint, "--out", output, "--model", model, "--spconv", spconv.ToString());
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains($"{shapes.Count} tensors written", result.Output);

        var tensors = SafeTensors.Read(output);
        Assert.Equal(shapes.Keys.Order(), tensors.Keys.Order());
        int index = 0;
        foreach (var (name, shape) in shapes)
        {
            var tensor = tensors[name];
            Assert.Equal(shape, tensor.Shape);
            for (int i = 0; i < tensor.Data.Length; i++)
            {
                Assert.True(tensor.Data[i] == Value(name, index, i), $"{name}[{i}] = {tensor.Data[i]}, saved {Value(name, index, i)}");
            }
            index++;
        }
        var weights = NetworkWeights.FromSafeTensors(network, output);
        Assert.Equal(network.Network.Nodes.Select(n => n.Name).Order(), weights.Keys.Order());
    }

    [Fact]
    public void A_missing_tensor_is_a_one_line_error_naming_it()
    {
        string python = PythonWithTorch();
        var shapes = ExpectedShapes(BuiltInModels.Load("second"));
        Assert.True(shapes.Remove("backbone_3d.conv2.0.0.weight"));
        string checkpoint = Path.Combine(_folder, "partial.pth");
        SaveCheckpoint(python, checkpoint, shapes, "model_state", "", 2);
        var result = Run(python, Converter, checkpoint, "--out", Path.Combine(_folder, "w.safetensors"), "--model", "second");
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("pth_to_safetensors: error: second: tensor 'backbone_3d.conv2.0.0.weight' is not in the checkpoint", result.Error.Trim());

        result = Run(python, Converter, checkpoint, "--out", Path.Combine(_folder, "w.safetensors"), "--model", "pointpillars");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("'pointpillars' is neither a built-in model (centerpoint, second)", result.Error);
    }

    private static string Converter => Path.Combine(RepositoryRoot(), "tools", "pth_to_safetensors.py");

    /// <summary>Every tensor the description names, with its shape in KernelGen's layout, in node order.</summary>
    private static Dictionary<string, int[]> ExpectedShapes(ValidatedNetwork network)
    {
        var shapes = new Dictionary<string, int[]>();
        for (int i = 0; i < network.Layers.Count; i++)
        {
            var (node, layer) = (network.Network.Nodes[i], network.Layers[i]);
            var k = layer.Geometry.Kernel;
            shapes[node.Weights.Weight] = [layer.OutChannels, k.Z, k.Y, k.X, layer.InChannels];
            if (node.Weights.Bias is { } bias)
            {
                shapes[bias] = [layer.OutChannels];
            }
            if (node.Weights.BatchNorm is { } norm)
            {
                foreach (var part in new[] { "weight", "bias", "running_mean", "running_var" })
                {
                    shapes[$"{norm}.{part}"] = [layer.OutChannels];
                }
            }
        }
        return shapes;
    }

    /// <summary>Deterministic values, the same formula in C# and in the Python that saves them (variances positive).</summary>
    private static float Value(string name, int tensor, int i) => name.EndsWith(".running_var", StringComparison.Ordinal)
        ? (float)(((i * 7L + tensor * 13) % 101) / 50.0 + 0.1)
        : (float)(((i * 7L + tensor * 13) % 101 - 50) / 50.0);

    private void SaveCheckpoint(string python, string path, Dictionary<string, int[]> shapes, string wrapper, string prefix, int spconv)
    {
        var lines = new List<string>
        {
            "import torch",
            "def value(name, t, n):",
            "    i = torch.arange(n, dtype=torch.float64)",
            "    if name.endswith('.running_var'): return (torch.remainder(i * 7 + t * 13, 101) / 50.0 + 0.1).float()",
            "    return ((torch.remainder(i * 7 + t * 13, 101) - 50) / 50.0).float()",
            "state = {}",
        };
        int index = 0;
        foreach (var (name, shape) in shapes)
        {
            string dims = string.Join(", ", shape);
            lines.Add($"w = value('{name}', {index}, {shape.Aggregate(1, (a, b) => a * b)}).reshape({dims})");
            if (shape.Length == 5 && spconv == 1)
            {
                lines.Add("w = w.permute(1, 2, 3, 4, 0).contiguous()  # spconv 1.x: [kD, kH, kW, Cin, Cout]");
            }
            lines.Add($"state['{prefix}{name}'] = w");
            if (name.EndsWith(".running_var", StringComparison.Ordinal))
            {
                lines.Add($"state['{prefix}{name[..^".running_var".Length]}.num_batches_tracked'] = torch.tensor(7)");
            }
            index++;
        }
        lines.Add($"state['{prefix}dense_head.conv_cls.weight'] = torch.zeros(3, 64, 1, 1)  # a head the backbone does not read");
        lines.Add($"torch.save({{'epoch': 20, '{wrapper}': state, 'optimizer_state': {{}}}}, r'{path}')");
        string script = Path.Combine(_folder, "save.py");
        File.WriteAllLines(script, lines);
        var result = Run(python, script);
        Assert.True(result.ExitCode == 0, result.Error);
    }

    private static string PythonWithTorch()
    {
        foreach (var candidate in new[] { "python3", "/usr/bin/python3" })
        {
            try
            {
                if (Run(candidate, "-c", "import torch, numpy").ExitCode == 0)
                {
                    return candidate;
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // not installed under this name
            }
        }
        Assert.Skip("no Python with torch and numpy here (Debian: apt-get install python3-torch): the converter cannot run");
        return "";
    }

    private static (int ExitCode, string Output, string Error) Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        args.ToList().ForEach(start.ArgumentList.Add);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output, error.Result);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "KernelGen.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("the repository root (KernelGen.sln) is not above the test binaries");
    }
}
