using KernelGen;
using KernelGen.IO;
using KernelGen.KernelMaps;
using KernelGen.Tensors;
using KernelGen.Tests.Support;

namespace KernelGen.Tests.Cli;

/// <summary><c>kernelgen conv</c> end to end: .npy in, .npy out, checked against the dense oracle.</summary>
[Collection(CpuAcceleratorCollection.Name)] // the command opens its own accelerator: keep it off the other kernel tests' cores
public sealed class ConvCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("kernelgen-cli-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string P(string name) => Path.Combine(_folder, name);

    [Theory]
    [InlineData("subm", "3", "1", "1", 1)]
    [InlineData("sparse", "3,1,1", "2,1,1", "0", 2)]
    [InlineData("sparse", "3", "2", "0,1,1", 1)]
    public void Writes_the_oracles_output(string kind, string kernel, string stride, string padding, int batch)
    {
        var random = new RandomSparse();
        var input = random.Tensor(new SpatialShape(7, 6, 5), 5, batch);
        var geometry = new ConvGeometry(kind == "subm" ? ConvKind.SubManifold : ConvKind.Sparse,
            Triple.Parse(kernel, "k"), Triple.Parse(stride, "s"), Triple.Parse(padding, "p"), Triple.All(1));
        var weight = random.Normal(6 * geometry.KernelVolume * 5);
        var bias = random.Normal(6);
        WriteInputs(input, weight, geometry.Kernel, 6, bias);

        var result = CliRunner.Run(
            "conv", "--coords", P("c.npy"), "--features", P("f.npy"), "--weight", P("w.npy"), "--bias", P("b.npy"),
            "--kind", kind, "--kernel", kernel, "--stride", stride, "--padding", padding,
            "--spatial-shape", "7,6,5", "--batch-size", batch.ToString(), "--accelerator", "cpu",
            "--out-coords", P("oc.npy"), "--out-features", P("of.npy"));
        Assert.True(result.ExitCode == 0, result.Error);

        var (coords, coordShape) = Npy.ReadInt32(P("oc.npy"), 2, "out");
        var (features, featureShape) = Npy.ReadFloat32(P("of.npy"), 2, "out");
        Assert.Equal(4, coordShape[1]);
        Assert.Equal([coordShape[0], 6], featureShape);
        var expected = DenseConv3dOracle.Forward(input, weight, 6, geometry, bias, relu: false);
        OracleAssert.Matches(new SparseTensor(features, coords, 6, expected.OutputShape, batch), expected, $"cli {kind} (seed {random.Seed})");
    }

    [Fact]
    public void Bad_input_gets_one_line_and_a_nonzero_exit()
    {
        var random = new RandomSparse();
        var input = random.Tensor(new SpatialShape(4, 4, 4), 3);
        WriteInputs(input, random.Normal(2 * 27 * 3), Triple.All(3), 2, random.Normal(2));
        Npy.Write(P("w5.npy"), random.Normal(2 * 125 * 3), 2, 5, 5, 5, 3);
        Npy.Write(P("f4.npy"), random.Normal(input.Count * 4), input.Count, 4);
        Npy.Write(P("b3.npy"), random.Normal(3), 3);
        Npy.Write(P("bad-coords.npy"), new[] { 0, 0, 0, 0, 0, 9, 0, 0 }, 2, 4);
        Npy.Write(P("f2.npy"), random.Normal(2 * 3), 2, 3);
        File.WriteAllText(P("text.npy"), "not numpy");
        var nanWeight = random.Normal(2 * 27 * 3);
        nanWeight[5] = float.NaN;
        Npy.Write(P("w-nan.npy"), nanWeight, 2, 3, 3, 3, 3);
        Npy.Write(P("b-inf.npy"), new[] { 0f, float.PositiveInfinity }, 2);

        string[] Args(params (string Option, string Value)[] overrides)
        {
            var options = new Dictionary<string, string>
            {
                ["--coords"] = P("c.npy"), ["--features"] = P("f.npy"), ["--weight"] = P("w.npy"), ["--kind"] = "subm",
                ["--kernel"] = "3", ["--spatial-shape"] = "4,4,4", ["--accelerator"] = "cpu",
                ["--out-coords"] = P("oc.npy"), ["--out-features"] = P("of.npy"),
            };
            foreach (var (option, value) in overrides)
            {
                if (value is null)
                {
                    options.Remove(option);
                }
                else
                {
                    options[option] = value;
                }
            }
            return ["conv", .. options.SelectMany(o => new[] { o.Key, o.Value })];
        }

        var cases = new (string[] Args, string Message)[]
        {
            (Args(("--kind", "dense")), "--kind 'dense' is not one of subm, sparse"),
            (Args(("--kernel", "3,3")), "--kernel '3,3' must be one integer or three comma-separated integers (z,y,x)"),
            (Args(("--stride", "x")), "--stride 'x': 'x' is not an integer"),
            (Args(("--kind", "sparse"), ("--stride", "0")), "stride 0 must be at least 1 on every axis"),
            (Args(("--weight", P("w5.npy"))), "--weight kernel 5 does not match --kernel 3"),
            (Args(("--features", P("f4.npy"))), "--weight has Cin=3 but --features has 4 channels"),
            (Args(("--features", P("f2.npy"))), $"--features has 2 rows but --coords has {input.Count}"),
            (Args(("--bias", P("b3.npy"))), "--bias has 3 values but --weight has Cout=2"),
            (Args(("--coords", P("bad-coords.npy")), ("--features", P("f2.npy"))), "row 1: coordinate (z=9, y=0, x=0) is outside the spatial shape (4, 4, 4)"),
            (Args(("--coords", P("missing.npy"))), "cannot read"),
            (Args(("--features", P("text.npy"))), "is not a .npy file"),
            (Args(("--accelerator", "tpu")), "accelerator 'tpu' is not one of auto, cpu, cuda"),
            (Args(("--coords", null!)), "Option '--coords' is required"),
            // Silent wrong output before (issue #13): NaN weights quantized to zeros, an infinite bias, a scale whose
            // multiplier overflows, outputs into one file, a site key that wraps past 2^63.
            (Args(("--weight", P("w-nan.npy")), ("--quant", "w8a8")), "weight [Cout 0, kD 0, kH 0, kW 1, Cin 2] is NaN; weights must be finite"),
            (Args(("--bias", P("b-inf.npy"))), "bias of output channel 1 is Infinity; biases must be finite"),
            (Args(("--quant", "w8a8"), ("--act-scale", "1e-45")), "is too small: its quantize multiplier 1 / (s_c · s_x) overflows float32"),
            (Args(("--out-features", P("oc.npy"))), "--out-coords and --out-features name the same file"),
            (Args(("--out-features", P("missing-folder/of.npy"))), "--out-features: folder"),
            (Args(("--kind", "sparse"), ("--stride", "2"), ("--spatial-shape", "2200000,2200000,2200000")), "has more than 2^63 cells: site keys would overflow"),
            (Args(("--kind", "sparse"), ("--padding", "2000000000")), "gives an output extent of"),
            (Args(("--batch-size", "0")), "batch size must be positive, got 0"),
        };
        foreach (var (args, message) in cases)
        {
            var result = CliRunner.Run(args);
            Assert.True(result.ExitCode == 2, $"{message}: exit {result.ExitCode}, stderr {result.Error}");
            Assert.Single(result.ErrorLines);
            Assert.Contains(message, result.Error);
            Assert.StartsWith("kernelgen", result.Error);
            Assert.DoesNotContain("(Parameter '", result.Error); // .NET's parameter-name suffix is not for users
        }
    }

    private void WriteInputs(SparseTensor input, float[] weight, Triple kernel, int cout, float[] bias)
    {
        Npy.Write(P("c.npy"), input.Coordinates, input.Count, 4);
        Npy.Write(P("f.npy"), input.Features, input.Count, input.Channels);
        Npy.Write(P("w.npy"), weight, cout, kernel.Z, kernel.Y, kernel.X, input.Channels);
        Npy.Write(P("b.npy"), bias, cout);
    }
}
