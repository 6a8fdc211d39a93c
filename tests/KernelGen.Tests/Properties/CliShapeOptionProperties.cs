using CsCheck;
using KernelGen.IO;
using KernelGen.Tensors;
using KernelGen.Tests.Cli;
using KernelGen.Tests.Support;

namespace KernelGen.Tests.Properties;

/// <summary>
/// <c>kernelgen conv</c> with generated shape options — sizes that are zero, negative, huge, of the wrong arity or not
/// numbers; kernels that disagree with the weight file; every kind and precision — either exits 0 with an output of
/// the stated shape, or exits 2 with one line that names the problem. Never a stack trace, another exit code, or
/// silence.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)] // the command opens its own accelerator
public sealed class CliShapeOptionProperties : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("kernelgen-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string P(string name) => Path.Combine(_folder, name);

    private static readonly Gen<string> Size = Gen.OneOf(
        Gen.Int[0, 5].Select(i => i.ToString()),
        Gen.OneOf("-1", "-2147483648", "2147483647", "2147483648", "1e3", "1.5", "x", "", " ", "3,", ",3", "0x10", "٣"));

    private static readonly Gen<string> Triple = Gen.OneOf(Size, Gen.Select(Size, Size, Size, (a, b, c) => $"{a},{b},{c}"), Size.Array[2, 4].Select(s => string.Join(",", s)));

    private static readonly Gen<string> Shape = Gen.OneOf(
        Gen.Const("4,4,4"), Gen.Const("5,4,4"), Gen.Const("2200000,2200000,2200000"), Gen.Const("1,1,1"), Triple);

    [Fact]
    public void Conv_with_any_shape_options_runs_or_exits_2_with_one_line()
    {
        var random = new RandomSparse(11);
        var input = random.Tensor(new SpatialShape(4, 4, 4), 3);
        Npy.Write(P("c.npy"), input.Coordinates, input.Count, 4);
        Npy.Write(P("f.npy"), input.Features, input.Count, input.Channels);
        Npy.Write(P("w.npy"), random.Normal(2 * 27 * 3), 2, 3, 3, 3, 3);

        // Each option is a valid value most of the time and an odd one otherwise, so cases reach the convolution too.
        static Gen<string> Mostly(Gen<string> odd, params string[] valid) => Gen.OneOf(Gen.OneOf(valid), Gen.OneOf(valid), Gen.OneOf(valid), odd);
        var gen = Gen.Select(
            Gen.Select(Mostly(Gen.OneOf("inverse", "SUBM", ""), "subm", "sparse"), Mostly(Triple, "3", "3,3,3"), Mostly(Triple, "1", "2", "1,2,1"),
                Mostly(Triple, "0", "1", "0,1,1"), Mostly(Triple, "1", "2")),
            Gen.Select(Mostly(Shape, "4,4,4", "5,4,4", "2200000,2200000,2200000"), Mostly(Size, "1"), Mostly(Gen.OneOf("int4", "W8A8"), "fp32", "w8a8", "w8a8-smooth")),
            Gen.OneOf<string?>(null, null, null, "0.5", "-1", "NaN", "1e-45", "0", "3.4e38"));
        int ran = 0, refused = 0;
        Fuzz.Check(gen, t =>
        {
            var ((kind, kernel, stride, padding, dilation), (shape, batch, quant), actScale) = t;
            var args = new List<string>
            {
                "conv", "--coords", P("c.npy"), "--features", P("f.npy"), "--weight", P("w.npy"), "--kind", kind,
                "--kernel", kernel, "--stride", stride, "--padding", padding, "--dilation", dilation, "--spatial-shape", shape,
                "--batch-size", batch, "--quant", quant, "--accelerator", "cpu", "--out-coords", P("oc.npy"), "--out-features", P("of.npy"),
            };
            if (actScale is not null)
            {
                args.AddRange(["--act-scale", actScale]);
            }
            File.Delete(P("oc.npy"));
            File.Delete(P("of.npy"));
            var result = CliRunner.Run([.. args]);
            if (result.ExitCode == 0)
            {
                var (coords, coordShape) = Npy.ReadInt32(P("oc.npy"), 2, "out");
                var (features, featureShape) = Npy.ReadFloat32(P("of.npy"), 2, "out");
                Assert.Equal([coordShape[0], 2], featureShape);
                Assert.All(coords, c => Assert.True(c >= 0, "a negative output coordinate"));
                Assert.All(features, f => Assert.True(float.IsFinite(f), "a non-finite output"));
                Interlocked.Increment(ref ran);
                return;
            }
            Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.Error}");
            Assert.True(result.ErrorLines.Length == 1, $"{result.ErrorLines.Length} error lines: {result.Error}");
            Assert.DoesNotContain("   at ", result.Error);
            Assert.DoesNotContain("Exception", result.Error);
            Interlocked.Increment(ref refused);
        }, 150, stream: 31, t => $"{t}");
        // Both outcomes occur: the generator reaches convolutions that run, not only the option parser's refusals.
        Assert.True(ran > 0 && refused > 0, $"{ran} ran, {refused} refused");
    }
}
