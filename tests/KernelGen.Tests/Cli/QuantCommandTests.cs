using KernelGen.IO;
using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Quantization;
using KernelGen.Tensors;
using KernelGen.Tests.Support;

namespace KernelGen.Tests.Cli;

/// <summary><c>kernelgen conv --quant</c> end to end.</summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class QuantCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("kernelgen-quant-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string P(string name) => Path.Combine(_folder, name);

    [Theory]
    [InlineData("w8a8", null, null)]
    [InlineData("w8a8-smooth", "0.7", null)]
    [InlineData("w8a8-smooth", null, "0.05")]
    public void Conv_quant_follows_the_semantics_exactly(string quant, string? alpha, string? actScale)
    {
        var random = new RandomSparse();
        var input = random.Tensor(new SpatialShape(6, 6, 6), 6);
        for (int i = 4; i < input.Features.Length; i += 6)
        {
            input.Features[i] *= 25;
        }
        var weights = new ConvWeights(random.Normal(5 * 27 * 6), 5, Triple.All(3), 6, random.Normal(5));
        Npy.Write(P("c.npy"), input.Coordinates, input.Count, 4);
        Npy.Write(P("f.npy"), input.Features, input.Count, 6);
        Npy.Write(P("w.npy"), weights.Data, 5, 3, 3, 3, 6);
        Npy.Write(P("b.npy"), weights.Bias!, 5);
        var args = new List<string>
        {
            "conv", "--coords", P("c.npy"), "--features", P("f.npy"), "--weight", P("w.npy"), "--bias", P("b.npy"), "--kind", "sparse",
            "--kernel", "3", "--stride", "2", "--padding", "1", "--spatial-shape", "6,6,6", "--accelerator", "cpu",
            "--out-coords", P("oc.npy"), "--out-features", P("of.npy"), "--quant", quant,
        };
        if (alpha is not null) { args.AddRange(["--alpha", alpha]); }
        if (actScale is not null) { args.AddRange(["--act-scale", actScale]); }
        var result = CliRunner.Run([.. args]);
        Assert.True(result.ExitCode == 0, result.Error);

        // The semantics, computed here from scratch: s_j from the input's channel maxima, s_x on the smoothed input
        // unless given, then the exact integer reference.
        var geometry = ConvGeometry.Uniform(ConvKind.Sparse, 3, 2, 1);
        var map = new CpuKernelMapBuilder().Build(input, geometry);
        var maxima = new float[6];
        for (int i = 0; i < input.Features.Length; i++)
        {
            maxima[i % 6] = Math.Max(maxima[i % 6], Math.Abs(input.Features[i]));
        }
        float[]? smoothing = null;
        if (quant == "w8a8-smooth")
        {
            double a = alpha is null ? 0.5 : double.Parse(alpha, System.Globalization.CultureInfo.InvariantCulture);
            var weightMax = new double[6];
            for (int i = 0; i < weights.Data.Length; i++)
            {
                weightMax[i % 6] = Math.Max(weightMax[i % 6], Math.Abs(weights.Data[i]));
            }
            smoothing = Enumerable.Range(0, 6).Select(j => (float)Math.Max(Math.Pow(Math.Max(maxima[j], 1e-5), a) / Math.Pow(Math.Max(weightMax[j], 1e-5), 1 - a), 1e-5)).ToArray();
        }
        float scale = actScale is not null
            ? float.Parse(actScale, System.Globalization.CultureInfo.InvariantCulture)
            : (float)(Enumerable.Range(0, 6).Max(j => maxima[j] / (smoothing?[j] ?? 1.0)) / 127);
        var reference = Int8Reference.Conv(input, map, weights, scale, smoothing, relu: false);

        var (features, _) = Npy.ReadFloat32(P("of.npy"), 2, "out");
        Assert.Equal(map.OutputCoordinates, Npy.ReadInt32(P("oc.npy"), 2, "out").Data);
        for (int i = 0; i < features.Length; i++)
        {
            Assert.True(Math.Abs(features[i] - reference.Values[i]) <= 1e-6 * reference.Magnitudes[i] + 1e-7,
                $"{quant}: element {i} = {features[i]}, reference {reference.Values[i]} (seed {random.Seed})");
        }
        Assert.Contains("s_x = ", result.Output);
    }

    [Fact]
    public void Conv_fp16_equals_the_dense_conv3d_of_the_fp16_rounded_operands()
    {
        var random = new RandomSparse();
        var input = random.Tensor(new SpatialShape(6, 6, 6), 6);
        var weights = new ConvWeights(random.Normal(5 * 27 * 6), 5, Triple.All(3), 6);
        Npy.Write(P("c.npy"), input.Coordinates, input.Count, 4);
        Npy.Write(P("f.npy"), input.Features, input.Count, 6);
        Npy.Write(P("w.npy"), weights.Data, 5, 3, 3, 3, 6);
        var result = CliRunner.Run(
            "conv", "--coords", P("c.npy"), "--features", P("f.npy"), "--weight", P("w.npy"), "--kind", "subm", "--kernel", "3", "--padding", "1",
            "--spatial-shape", "6,6,6", "--accelerator", "cpu", "--out-coords", P("oc.npy"), "--out-features", P("of.npy"), "--quant", "fp16");
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("fp16 operands, fp32 sums", result.Output);

        static float[] Rounded(float[] values) => values.Select(v => (float)(Half)v).ToArray();
        var geometry = ConvGeometry.Uniform(ConvKind.SubManifold, 3, 1, 1);
        var expected = DenseConv3dOracle.Forward(
            new SparseTensor(Rounded(input.Features), input.Coordinates, 6, input.SpatialShape, input.BatchSize), Rounded(weights.Data), 5, geometry, null, relu: false);
        var (features, _) = Npy.ReadFloat32(P("of.npy"), 2, "out");
        var coordinates = Npy.ReadInt32(P("oc.npy"), 2, "out").Data;
        OracleAssert.Matches(new SparseTensor(features, coordinates, 5, input.SpatialShape, input.BatchSize), expected, $"conv --quant fp16 (seed {random.Seed})");
    }

    [Theory]
    [InlineData(new[] { "--quant", "int4" }, "--quant must be fp32, fp16, w8a8 or w8a8-smooth, got 'int4'")]
    [InlineData(new[] { "--quant", "w8a8-smooth", "--alpha", "1.5" }, "--alpha 1.5 is outside [0, 1]")]
    [InlineData(new[] { "--quant", "w8a8", "--act-scale", "0" }, "--act-scale 0 must be positive and finite")]
    [InlineData(new[] { "--alpha", "0.3" }, "--alpha and --act-scale apply to --quant w8a8 or w8a8-smooth only")]
    [InlineData(new[] { "--quant", "fp16", "--alpha", "0.3" }, "--alpha and --act-scale apply to --quant w8a8 or w8a8-smooth only")]
    public void Bad_quant_options_are_one_line_errors(string[] options, string message)
    {
        var random = new RandomSparse();
        var input = random.Tensor(new SpatialShape(4, 4, 4), 4);
        Npy.Write(P("c.npy"), input.Coordinates, input.Count, 4);
        Npy.Write(P("f.npy"), input.Features, input.Count, 4);
        Npy.Write(P("w.npy"), random.Normal(2 * 27 * 4), 2, 3, 3, 3, 4);
        var result = CliRunner.Run([
            "conv", "--coords", P("c.npy"), "--features", P("f.npy"), "--weight", P("w.npy"), "--kind", "subm", "--kernel", "3",
            "--spatial-shape", "4,4,4", "--accelerator", "cpu", "--out-coords", P("oc.npy"), "--out-features", P("of.npy"), .. options]);
        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.ErrorLines);
        Assert.Contains(message, result.Error);
    }
}
