using KernelGen.Models;
using KernelGen.Profiles;
using KernelGen.Samples.CenterPoint.App;

namespace KernelGen.Tests.CenterPoint;

/// <summary>
/// The main job end to end on a small input: a held-out KITTI-format scan and two calibration scans of a few thousand
/// points, calibrated, tuned (into a cache of its own), run in every plan and reported — exit 0, the report's tables
/// and the outputs in the folder — and its profile is the one <c>kernelgen calibrate</c> writes for the same scans.
/// </summary>
public sealed class MainJobSmokeTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("kernelgen-mainjob-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string P(string name) => Path.Combine(_folder, name);

    [Fact]
    public void Runs_end_to_end_on_a_small_input_and_calibrates_as_kernelgen_calibrate_does()
    {
        WriteScan(P("held_out.bin"), seed: 1);
        WriteScan(P("cal_a.bin"), seed: 2);
        WriteScan(P("cal_b.bin"), seed: 3);
        var output = new StringWriter();
        var error = new StringWriter();
        int code = MainJobApp.Run(
            ["--input", P("held_out.bin"), "--calibrate", P("cal_a.bin"), P("cal_b.bin"), "--accelerator", "cpu",
             "--out", P("out"), "--cache", P("tuning.json")],
            output, error);

        Assert.True(code == 0, error.ToString());
        string report = File.ReadAllText(P("out/report.md"));
        // The report's tables: the plans against fp32, the policy curve, and a row per layer for all 21 convs.
        foreach (var table in new[] { "| plan | int8 layers |", "| int8 layers | demoted |", "| layer | kind | Cin→Cout |" })
        {
            Assert.Contains(table, report);
        }
        var network = BuiltInModels.Load("centerpoint");
        Assert.All(network.Network.Nodes, node => Assert.Contains($"| {node.Name} |", report));
        Assert.All(new[] { "profile.json", "bev.npy", "layer_times.png", "policy_curve.png" }, f => Assert.True(File.Exists(P("out/" + f)), f));

        // One calibration path: the CLI on the same scans, network and weights decides the same profile.
        var cli = Cli.CliRunner.Run("calibrate", "--model", "centerpoint", "--inputs", P("cal_a.bin"), P("cal_b.bin"), "--accelerator", "cpu", "--out", P("cli.json"));
        Assert.True(cli.ExitCode == 0, cli.Error);
        static QuantizationProfile Untimed(QuantizationProfile p) => p with { Curve = p.Curve.Select(s => s with { NetworkMs = 0 }).ToList() };
        Assert.Equal(Untimed(QuantizationProfile.Load(P("cli.json"))), Untimed(QuantizationProfile.Load(P("out/profile.json"))));

        // Voxels in: the held-out scan's voxels as files (a spconv user's coords + features) give the same fp32 BEV map,
        // with the profile loaded; a scan option beside them is refused in one line.
        var voxels = network.InputFeatures(network.Voxelize(KernelGen.Points.ScanReader.Read(P("held_out.bin"))));
        KernelGen.Tensors.VoxelFiles.Write(voxels, P("coords.npy"), P("features.npy"));
        var fromVoxels = new StringWriter();
        code = MainJobApp.Run(
            ["--coords", P("coords.npy"), "--features", P("features.npy"), "--profile", P("out/profile.json"), "--calibrate", P("cal_a.bin"), P("cal_b.bin"),
             "--accelerator", "cpu", "--out", P("out2"), "--cache", P("tuning.json")],
            fromVoxels, error);
        Assert.True(code == 2 && error.ToString().Contains("--calibrate is a calibration setting"), error.ToString());
        error.GetStringBuilder().Clear();
        code = MainJobApp.Run(
            ["--coords", P("coords.npy"), "--features", P("features.npy"), "--profile", P("out/profile.json"), "--accelerator", "cpu", "--out", P("out2"), "--cache", P("tuning.json")],
            fromVoxels, error);
        Assert.True(code == 0, error.ToString());
        Assert.Contains("held-out voxels coords.npy + features.npy", fromVoxels.ToString());
        Assert.Equal(KernelGen.IO.Npy.Read(P("out/bev.npy")).Data as float[], KernelGen.IO.Npy.Read(P("out2/bev.npy")).Data as float[]);
        code = MainJobApp.Run(["--coords", P("coords.npy"), "--features", P("features.npy"), "--input", P("held_out.bin")], new StringWriter(), error);
        Assert.Equal(2, code);
        Assert.Contains("give a held-out scan (--input) or voxels (--coords, --features), not both", error.ToString());
    }

    private static void WriteScan(string path, int seed)
    {
        var random = new Random(seed);
        var points = new float[2500 * 4];
        for (int i = 0; i < 2500; i++)
        {
            points[i * 4] = (float)(5 + random.NextDouble() * 15);
            points[i * 4 + 1] = (float)((random.NextDouble() - 0.5) * 12);
            points[i * 4 + 2] = (float)(random.NextDouble() * 2.5 - 2);
            points[i * 4 + 3] = (float)random.NextDouble();
        }
        var bytes = new byte[points.Length * 4];
        Buffer.BlockCopy(points, 0, bytes, 0, bytes.Length);
        File.WriteAllBytes(path, bytes);
    }
}
