using System.Text.Json.Nodes;
using KernelGen.Cli;
using KernelGen.IO;
using KernelGen.Kernels;
using KernelGen.Models;
using KernelGen.Networks;
using KernelGen.Points;
using KernelGen.Profiles;
using KernelGen.Quantization;
using KernelGen.Tensors;
using KernelGen.Tests.Cli;
using KernelGen.Tests.Support;

namespace KernelGen.Tests.Profiles;

/// <summary>
/// Deployable quantization: statistics that merge exactly, a profile that round-trips and is refused for anything it
/// was not made for, the targeted precision policy, static scales on scans outside the calibrated range, and
/// <c>kernelgen calibrate</c> (sharded or not) feeding <c>kernelgen run --profile</c>.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class ProfileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("kernelgen-profile-").FullName;

    // SECOND (12 convs, every one int8-capable) with its synthetic weights: what every test here calibrates.
    private readonly ValidatedNetwork _network = BuiltInModels.Load("second");
    private readonly IReadOnlyDictionary<string, ConvWeights> _weights;
    private readonly NetworkRunner _runner;
    private readonly Calibrator _calibrator;

    public ProfileTests(CpuAcceleratorFixture fixture)
    {
        _weights = NetworkWeights.Synthetic(_network);
        _runner = new NetworkRunner(fixture.Session.Accelerator);
        _calibrator = new Calibrator(_runner, _network, _weights);
    }

    public void Dispose()
    {
        _runner.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private SparseTensor Voxels(int seed, float spread = 1f) => Voxelizer.Voxelize(Scan(seed, spread), _network.Voxels).Tensor;

    private string P(string name) => Path.Combine(_folder, name);

    /// <summary>A few thousand points in front of a KITTI sensor: enough voxels for every SECOND stage.</summary>
    private static PointCloud Scan(int seed, float spread = 1f)
    {
        var random = new Random(seed);
        var points = new float[3000 * 4];
        for (int i = 0; i < 3000; i++)
        {
            points[i * 4] = (float)(5 + random.NextDouble() * 20);
            points[i * 4 + 1] = (float)((random.NextDouble() - 0.5) * 20);
            points[i * 4 + 2] = (float)(random.NextDouble() * 2.5 - 2);
            points[i * 4 + 3] = (float)random.NextDouble() * spread;
        }
        return new PointCloud(points, $"scan{seed}");
    }

    private void WriteScans(int count, string folder)
    {
        Directory.CreateDirectory(folder);
        for (int i = 0; i < count; i++)
        {
            var cloud = Scan(i + 1);
            var bytes = new byte[cloud.Xyzi.Length * 4];
            Buffer.BlockCopy(cloud.Xyzi, 0, bytes, 0, bytes.Length);
            File.WriteAllBytes(Path.Combine(folder, $"{i:D3}.bin"), bytes);
        }
    }

    [Fact]
    public void Statistics_of_shards_merge_to_exactly_the_statistics_of_one_run()
    {
        var scans = Enumerable.Range(0, 4).Select(i => (Scan: new CalibrationScan(i, $"s{i}"), Voxels: Voxels(i + 1))).ToList();

        var whole = _calibrator.NewStatistics();
        foreach (var (scan, voxels) in scans)
        {
            _calibrator.Observe(whole, scan, voxels);
        }
        var shards = new[] { _calibrator.NewStatistics(), _calibrator.NewStatistics() };
        foreach (var (scan, voxels) in scans)
        {
            _calibrator.Observe(shards[scan.Index % 2], scan, voxels);
        }
        // Written, read back and merged in either order: the same numbers as one run.
        shards[0].Save(P("s0.json"));
        shards[1].Save(P("s1.json"));
        foreach (var (first, second) in new[] { ("s0.json", "s1.json"), ("s1.json", "s0.json") })
        {
            var merged = CalibrationStatistics.Load(P(first));
            merged.Merge(CalibrationStatistics.Load(P(second)));
            Assert.Equal(whole.Scans, merged.Scans);
            foreach (var (node, statistics) in whole.Nodes)
            {
                Assert.True(statistics.SameAs(merged.Nodes[node]), $"{node}: merged statistics differ");
                Assert.True(statistics.Rows > 0);
            }
        }
        var again = CalibrationStatistics.Load(P("s0.json"));
        Assert.Contains("is in both shards", Assert.Throws<InvalidDataException>(() => again.Merge(CalibrationStatistics.Load(P("s0.json")))).Message);
    }

    [Fact]
    public void The_targeted_policy_meets_its_target_and_demotes_monotonically()
    {
        var statistics = _calibrator.NewStatistics();
        for (int i = 0; i < 3; i++)
        {
            _calibrator.Observe(statistics, new CalibrationScan(i, $"s{i}"), Voxels(i + 1));
        }
        var sample = new[] { ("s0", Voxels(1)) };
        foreach (var target in new[] { new CalibrationTarget(Cosine: 0.9), new CalibrationTarget(Cosine: 0.99999), new CalibrationTarget(Cosine: null, SqnrDb: 35) })
        {
            var profile = _calibrator.Decide(statistics, sample, ScaleObserver.Auto, target, methods: PtqMethods.BiasCorrection | PtqMethods.ClipSearch | PtqMethods.Gptq);
            Assert.Equal(_network.Network.Nodes.Select(n => n.Name), profile.Layers.Select(l => l.Node));
            // Each step demotes one layer; the last step meets the target unless nothing is left to demote.
            Assert.Equal(Enumerable.Range(0, profile.Curve.Count).Select(i => profile.Curve[0].Int8Layers - i), profile.Curve.Select(s => s.Int8Layers));
            Assert.True(target.MetBy(profile.Curve[^1].Agreement) || profile.Curve[^1].Int8Layers == 0, $"{target}: missed with {profile.Curve[^1].Int8Layers} int8 layers");
            Assert.All(profile.Curve.SkipLast(1), step => Assert.False(target.MetBy(step.Agreement), $"{target}: demoted past a step that met it"));
            Assert.Equal(profile.Curve[^1].Int8Layers, profile.Layers.Count(l => l.Int8));
            Assert.Equal(profile.Calibration, profile.Curve[^1].Agreement);
            Assert.All(profile.Curve, step => Assert.True(step.NetworkMs > 0, "each step's network time is measured"));
            // The techniques beyond SmoothQuant are recorded where they won: Hessian-aware rounding and bias correction
            // on some layers, the clipping search's factors from its list.
            Assert.Contains(profile.Layers, l => l.RoundedWeights is not null);
            Assert.Contains(profile.Layers, l => l.BiasCorrection is not null);
            Assert.All(profile.Layers.Where(l => l.Clip is not null), l => Assert.Contains(l.Clip!.Value, Calibrator.ClipFactors));
            // What the profile claims is what a run with it gives.
            var measured = _calibrator.Agreement([sample[0].Item2], profile.PlanFor(_network, _weights));
            Assert.Equal(profile.Calibration.WorstCosine, measured.WorstCosine, 12);
        }
    }

    [Fact]
    public void A_profile_round_trips_and_is_refused_for_other_networks_weights_versions_and_corrupt_files()
    {
        var statistics = _calibrator.NewStatistics();
        _calibrator.Observe(statistics, new CalibrationScan(0, "s0"), Voxels(1));
        var profile = _calibrator.Decide(statistics, [("s0", Voxels(1))], ScaleObserver.Percentile, new CalibrationTarget())
            with { Input = new ProfileInput(["KITTI (HDL-64E)", "Velodyne HDL-32E"], 1) };
        profile.Save(P("p.json"));
        var loaded = QuantizationProfile.Load(P("p.json"));
        Assert.Equal(profile, loaded);
        Assert.Equal(["KITTI (HDL-64E)", "Velodyne HDL-32E"], loaded.Input!.Sensors);
        Assert.Equal(1, loaded.Input.IntensityMax);
        Assert.Contains(loaded.Layers, l => l.Int8 && l.Observer == ScaleObserver.Percentile);
        // u8 activations exactly where the node's input is a ReLU's output; s8 on the node that reads the raw input.
        Assert.All(loaded.Layers.Where(l => l.Quantization is not null), l => Assert.Equal(
            _network.HasNonNegativeInput(l.Node) ? ActivationFormat.U8 : ActivationFormat.S8, l.Format));
        Assert.Contains(loaded.Layers, l => l.Format == ActivationFormat.U8);
        Assert.Equal(ActivationFormat.S8, loaded.Layers[0].Format);
        // Every int8-capable layer's sensitivity (the output with only it int8) is measured, whatever the policy did.
        Assert.All(loaded.Layers.Where(l => l.Quantization is not null), l => Assert.NotNull(l.Alone));
        var plan = loaded.PlanFor(_network, _weights);
        Assert.All(_network.Network.Nodes, n => Assert.Equal(loaded.Layers.Single(l => l.Node == n.Name).Int8, plan.IsInt8(new PlannedNode(n, _network.Layers[_network.Network.Nodes.ToList().IndexOf(n)], null!, null!))));

        // NVIDIA's recipe: the first three convs out of int8 (fp32; fp16 where asked and the layer has fp16 kernels), every
        // other int8-capable conv int8 with the profile's scales.
        var recipe = loaded.RecipePlanFor(_network, _weights);
        var planned = _network.Network.Nodes.Select((n, i) => new PlannedNode(n, _network.Layers[i], null!, null!)).ToList();
        Assert.All(planned.Take(QuantizationProfile.RecipeFloatLayers), n => Assert.Equal(Precision.F32, recipe.PrecisionOf(n)));
        Assert.All(planned.Skip(QuantizationProfile.RecipeFloatLayers), n => Assert.Equal(n.Layer.HasW8A8 ? Precision.W8A8 : Precision.F32, recipe.PrecisionOf(n)));
        var onGpu = loaded.RecipePlanFor(_network, _weights, Precision.F16);
        Assert.All(planned.Take(QuantizationProfile.RecipeFloatLayers), n => Assert.Equal(n.Layer.HasF16 ? Precision.F16 : Precision.F32, onGpu.PrecisionOf(n)));
        Assert.Throws<ArgumentException>(() => PrecisionPlan.Static(new Dictionary<string, LayerQuantization>(), Precision.W8A8));

        // Another network, other weights.
        var other = BuiltInModels.Load("centerpoint");
        Assert.Contains("calibrated for network 'second'", Assert.Throws<InvalidDataException>(() => loaded.PlanFor(other, NetworkWeights.Synthetic(other))).Message);
        var changed = _weights.ToDictionary(p => p.Key, p => p.Value);
        var first = changed.First();
        var data = (float[])first.Value.Data.Clone();
        data[0] += 1e-3f;
        changed[first.Key] = new ConvWeights(data, first.Value.OutChannels, first.Value.Kernel, first.Value.InChannels, first.Value.Bias);
        Assert.Contains("calibrated with other weights", Assert.Throws<InvalidDataException>(() => loaded.PlanFor(_network, changed)).Message);

        // u8 on a node whose input can be negative (the first reads the raw network input) is refused by name.
        var layers = loaded.Layers.ToList();
        layers[0] = layers[0] with { Format = ActivationFormat.U8 };
        var unsafeU8 = loaded with { Layers = layers };
        Assert.Contains($"node {layers[0].Node}: the profile codes its activations u8, but its input (input) is not a ReLU's output",
            Assert.Throws<InvalidDataException>(() => unsafeU8.AllInt8PlanFor(_network, _weights)).Message);

        // Another version, another kind, corrupt text, a bad scale.
        var json = JsonNode.Parse(File.ReadAllText(P("p.json")))!.AsObject();
        void Refused(Action<JsonObject> edit, string expected)
        {
            var copy = JsonNode.Parse(json.ToJsonString())!.AsObject();
            edit(copy);
            File.WriteAllText(P("bad.json"), copy.ToJsonString());
            var e = Assert.Throws<InvalidDataException>(() => QuantizationProfile.Load(P("bad.json")));
            Assert.Contains(expected, e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
        Refused(o => o["format"] = 3, "format 3 is not supported");
        // A format 1 profile (before u8 activations) is refused, saying why.
        Refused(o => o["format"] = 1, "format 1 profiles predate u8 activations");
        Refused(o => o["layers"]!.AsArray().First(l => l!["activationScale"] is not null)!["activations"] = "u4", "activations 'u4' is neither s8 nor u8");
        Refused(o => o["layers"]!.AsArray().First(l => l!["activationScale"] is not null)!.AsObject().Remove("activations"), "'activations' is missing");
        Refused(o => o["kind"] = "kernelgen-calibration-statistics", "not a kernelgen-quantization-profile file");
        Refused(o => o["layers"]!.AsArray().First(l => (string)l!["precision"]! == "int8")!["activationScale"] = -1, "is not a positive number");
        Refused(o => o["layers"]!.AsArray()[0]!["precision"] = "int4", "is neither int8 nor fp32");
        Refused(o => o.Remove("weightsHash"), "'weightsHash' is missing");
        File.WriteAllText(P("cut.json"), File.ReadAllText(P("p.json"))[..200]);
        Assert.Contains("not valid JSON", Assert.Throws<InvalidDataException>(() => QuantizationProfile.Load(P("cut.json"))).Message);
    }

    [Fact]
    public void Static_scales_on_a_scan_beyond_the_calibrated_range_saturate_without_overflow_or_nan()
    {
        var statistics = _calibrator.NewStatistics();
        _calibrator.Observe(statistics, new CalibrationScan(0, "s0"), Voxels(1, spread: 0.01f));
        var profile = _calibrator.Decide(statistics, [("s0", Voxels(1, spread: 0.01f))], ScaleObserver.Max, new CalibrationTarget(Cosine: -0.5));
        // A scan with 10⁴× the intensity the calibration saw (beyond any headroom the clipping search may leave): the
        // first layer's quantized input (s8: it reads the raw network input) saturates at ±127.
        var loud = Voxels(2, spread: 100f);
        var plan = _runner.Plan(_network, loud);
        var precision = profile.PlanFor(_network, _weights);
        Assert.True(precision.IsInt8(plan.Nodes[0]));
        var first = profile.Layers[0].Quantization!;
        Assert.Equal(ActivationFormat.S8, first.Format);
        var quantized = Int8Prologue.Quantize(plan.Input.Features, new LayerWeights(_weights[plan.Nodes[0].Node.Name]).Quantized(PrecisionPlan.ForKernelsOf(plan.Nodes[0].Layer, first)).Int8!.ActivationMultipliers, (plan.Nodes[0].Layer.InChannels + 3) / 4, first.Format);
        Assert.Contains(quantized, b => b == 128 + 127);
        Assert.All(quantized, b => Assert.InRange(b, 1, 255));
        var run = _runner.Run(plan, _weights, _runner.Defaults(plan, precision), precision);
        Assert.All(run.Output.Features, v => Assert.True(float.IsFinite(v)));
    }

    [Theory]
    [InlineData("none", PtqMethods.None)]
    [InlineData("bias", PtqMethods.BiasCorrection)]
    [InlineData("gptq, CLIP", PtqMethods.ClipSearch | PtqMethods.Gptq)]
    [InlineData("bias,clip,gptq", PtqMethods.BiasCorrection | PtqMethods.ClipSearch | PtqMethods.Gptq)]
    [InlineData("bias,seq", PtqMethods.BiasCorrection | PtqMethods.Sequential)]
    public void The_ptq_option_parses_and_formats_back(string text, PtqMethods expected)
    {
        Assert.Equal(expected, PtqMethodsOption.Parse(text));
        Assert.Equal(expected, PtqMethodsOption.Parse(PtqMethodsOption.Format(expected)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("bias,,clip")]
    [InlineData("smoothquant")]
    public void The_ptq_option_refuses_what_it_does_not_know(string text) =>
        Assert.StartsWith($"--ptq '{text}': give none", Assert.Throws<ArgumentException>(() => PtqMethodsOption.Parse(text)).Message);

    [Fact]
    public void Calibrate_sharded_or_not_writes_the_same_profile_and_run_uses_it()
    {
        WriteScans(4, P("scans"));
        string[] Common(string output) =>
            ["--model", "second", "--inputs", P("scans"), "--sample", "2", "--observer", "max", "--accelerator", "cpu", "--out", output];
        var whole = CliRunner.Run(["calibrate", .. Common(P("whole.json"))]);
        Assert.True(whole.ExitCode == 0, whole.Error);
        Assert.Contains("profile written to", whole.Output);
        foreach (int shard in new[] { 1, 0 })
        {
            var part = CliRunner.Run(["calibrate", .. Common(P($"shard{shard}.json")), "--shard", $"{shard}/2"]);
            Assert.True(part.ExitCode == 0, part.Error);
        }
        var merged = CliRunner.Run(["calibrate", "merge", P("shard1.json"), P("shard0.json"), .. Common(P("merged.json"))]);
        Assert.True(merged.ExitCode == 0, merged.Error);
        // The same profile: every decision and scale; only the measured network times of the curve differ.
        static QuantizationProfile Untimed(QuantizationProfile p) => p with { Curve = p.Curve.Select(s => s with { NetworkMs = 0 }).ToList() };
        Assert.Equal(Untimed(QuantizationProfile.Load(P("whole.json"))), Untimed(QuantizationProfile.Load(P("merged.json"))));

        // A missing shard, a bad shard spec: one line, exit 2.
        var missing = CliRunner.Run(["calibrate", "merge", P("shard0.json"), .. Common(P("m2.json"))]);
        Assert.Equal(2, missing.ExitCode);
        Assert.StartsWith("kernelgen calibrate merge: error: the shards do not cover the calibration set", missing.Error);
        Assert.Equal(2, CliRunner.Run(["calibrate", .. Common(P("x.json")), "--shard", "2/2"]).ExitCode);
        // The profile records what calibration added (bias correction unless --ptq says otherwise); an unknown method is refused.
        Assert.Equal(PtqMethods.Default, QuantizationProfile.Load(P("whole.json")).Methods);
        var unknown = CliRunner.Run(["calibrate", .. Common(P("y.json")), "--ptq", "bias,awq"]);
        Assert.Equal(2, unknown.ExitCode);
        Assert.StartsWith("kernelgen calibrate: error: --ptq 'bias,awq': give none or a comma-separated list of bias, clip, gptq, seq", unknown.Error);
        Assert.False(File.Exists(P("y.json")));

        // kernelgen run with the profile: static scales, the profile's int8 nodes.
        var bin = Path.Combine(P("scans"), "000.bin");
        var run = CliRunner.Run("run", "--model", "second", "--input", bin, "--accelerator", "cpu", "--profile", P("whole.json"), "--cache", P("cache.json"),
            "--frames", "2", "--json", P("run.json"));
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("static scales", run.Output);
        // The summary's front end: each distinct map (one per indice key) with how it was found, and the frame split.
        Assert.Contains("per frame, median of 2 warm: voxelize", run.Output);
        using (var report = System.Text.Json.JsonDocument.Parse(File.ReadAllText(P("run.json"))))
        {
            var root = report.RootElement;
            Assert.Equal(2, root.GetProperty("frames").GetArrayLength());
            var maps = root.GetProperty("maps").EnumerateArray().ToList();
            var keys = BuiltInModels.Load("second").Network.Nodes.Select(n => n.IndiceKey).Distinct().ToList();
            Assert.Equal(keys, maps.Select(m => m.GetProperty("key").GetString()).ToList());
            Assert.All(maps, m => Assert.Contains(m.GetProperty("method").GetString(), new[] { "SortedMerge", "RadixSort" }));
            Assert.All(maps, m => Assert.True(m.GetProperty("pairs").GetInt64() > 0 && m.GetProperty("lookups").GetInt64() > 0));
            Assert.True(root.GetProperty("mapsMs").GetDouble() > 0 && root.GetProperty("voxelizeMs").GetDouble() > 0);
        }
        var conflict = CliRunner.Run("run", "--model", "second", "--input", bin, "--accelerator", "cpu", "--profile", P("whole.json"), "--quant", "w8a8");
        Assert.Equal(2, conflict.ExitCode);
        // The recipe plan: the first three convs fp32, every other int8.
        var recipe = CliRunner.Run("run", "--model", "second", "--input", bin, "--accelerator", "cpu", "--profile", P("whole.json"), "--plan", "recipe", "--cache", P("cache.json"));
        Assert.True(recipe.ExitCode == 0, recipe.Error);
        Assert.Contains("recipe plan", recipe.Output);
        var nodes = QuantizationProfile.Load(P("whole.json")).Layers.Select(l => l.Node).ToList();
        var lines = recipe.Output.Split('\n');
        Assert.All(nodes.Take(3), n => Assert.Contains(lines, l => l.StartsWith(n + " ", StringComparison.Ordinal) && l.Contains(" F32 ")));
        Assert.All(nodes.Skip(3), n => Assert.Contains(lines, l => l.StartsWith(n + " ", StringComparison.Ordinal) && l.Contains(" W8A8 ")));
        var planWithoutProfile = CliRunner.Run("run", "--model", "second", "--input", bin, "--accelerator", "cpu", "--plan", "recipe");
        Assert.Equal(2, planWithoutProfile.ExitCode);
        Assert.Contains("--plan chooses among a profile's plans: give --profile too", planWithoutProfile.Error);
        var badPlan = CliRunner.Run("run", "--model", "second", "--input", bin, "--accelerator", "cpu", "--profile", P("whole.json"), "--plan", "nvidia");
        Assert.Equal(2, badPlan.ExitCode);
        Assert.Contains("--plan must be policy or recipe, got 'nvidia'", badPlan.Error);
        var wrongModel = CliRunner.Run("run", "--model", "centerpoint", "--input", bin, "--accelerator", "cpu", "--profile", P("whole.json"), "--cache", P("cache.json"));
        Assert.Equal(2, wrongModel.ExitCode);
        Assert.Contains("calibrated for network 'second'", wrongModel.Error);
    }
}
