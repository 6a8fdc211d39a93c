using System.IO.Compression;
using System.Text.Json.Nodes;
using KernelGen.IO;
using KernelGen.Kernels;
using KernelGen.Models;
using KernelGen.Networks;
using KernelGen.Points;
using KernelGen.Profiles;
using KernelGen.Quantization;
using KernelGen.Tensors;
using KernelGen.Tests.Support;

namespace KernelGen.Tests.Cli;

/// <summary>
/// Bad inputs and faults (#33, hardening round 3): outputs written atomically and never over an input, every output path
/// checked before any work, every option honoured or refused, nothing read silently wrong — each a one-line error, and
/// the CLI's exit code 2.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)] // the commands open their own accelerator: keep them off the other kernel tests' cores
public sealed class HardeningTests(CpuAcceleratorFixture fixture) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("kernelgen-hardening-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string P(string name) => Path.Combine(_folder, name);

    private static void AssertOneLine(CliRunner.Result result, string expected)
    {
        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.ErrorLines);
        Assert.Contains(expected, result.Error);
    }

    // ---- what the run failed on ----

    [Fact]
    public void A_layers_file_that_is_not_an_assembly_is_one_line()
    {
        File.WriteAllText(P("layers.json"), "{}");
        AssertOneLine(CliRunner.Run("run", "--layers", P("layers.json")), "is not a .NET assembly that can be loaded");
    }

    [Fact]
    public void Safetensors_whose_tensors_overlap_leave_a_gap_or_trail_data_are_refused()
    {
        static byte[] File(string json, int data)
        {
            var header = System.Text.Encoding.UTF8.GetBytes(json);
            var bytes = new byte[8 + header.Length + data];
            BitConverter.GetBytes((ulong)header.Length).CopyTo(bytes, 0);
            header.CopyTo(bytes, 8);
            return bytes;
        }
        const string Shared = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        Assert.Contains("tensor 'b' bytes [0, 8] overlap tensor 'a'", Assert.Throws<InvalidDataException>(() => SafeTensors.Parse(File(Shared, 8), "w")).Message);
        const string Gap = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}";
        Assert.Contains("data bytes [4, 8] belong to no tensor", Assert.Throws<InvalidDataException>(() => SafeTensors.Parse(File(Gap, 12), "w")).Message);
        const string One = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        Assert.Contains("4 data bytes after the last tensor", Assert.Throws<InvalidDataException>(() => SafeTensors.Parse(File(One, 8), "w")).Message);
        Assert.Single(SafeTensors.Parse(File(One, 4), "w"));
    }

    [Fact]
    public void Fp16_refuses_features_and_weights_beyond_its_range_instead_of_writing_infinity()
    {
        var random = new RandomSparse();
        var input = random.Tensor(new SpatialShape(4, 4, 4), 3, density: 0.4);
        input.Features[1] = 70000f;
        Npy.Write(P("c.npy"), input.Coordinates, input.Count, 4);
        Npy.Write(P("f.npy"), input.Features, input.Count, 3);
        Npy.Write(P("w.npy"), random.Normal(2 * 27 * 3), 2, 3, 3, 3, 3);
        string[] Args(string features, string weight) =>
            ["conv", "--coords", P("c.npy"), "--features", features, "--weight", weight, "--kind", "subm", "--kernel", "3", "--spatial-shape", "4,4,4",
             "--accelerator", "cpu", "--quant", "fp16", "--out-coords", P("oc.npy"), "--out-features", P("of.npy")];
        AssertOneLine(CliRunner.Run(Args(P("f.npy"), P("w.npy"))), "input feature 70000 at row 0, channel 1 is beyond fp16's range");
        Assert.False(File.Exists(P("of.npy")));

        input.Features[1] = 1f;
        Npy.Write(P("f.npy"), input.Features, input.Count, 3);
        var weight = random.Normal(2 * 27 * 3);
        weight[30] = -1e6f;
        Npy.Write(P("wbig.npy"), weight, 2, 3, 3, 3, 3);
        AssertOneLine(CliRunner.Run(Args(P("f.npy"), P("wbig.npy"))), "weight -1000000 at [n=0, k=10, c=0] is beyond fp16's range");
        // The same conv in fp32 is fine: only fp16 cannot hold the values.
        Assert.Equal(0, CliRunner.Run([.. Args(P("f.npy"), P("wbig.npy"))[..^6], "--out-coords", P("oc.npy"), "--out-features", P("of.npy")]).ExitCode);
    }

    [Fact]
    public void An_output_that_is_an_input_is_refused_and_the_input_kept()
    {
        var random = new RandomSparse();
        var input = random.Tensor(new SpatialShape(4, 4, 4), 3, density: 0.4);
        Npy.Write(P("c.npy"), input.Coordinates, input.Count, 4);
        Npy.Write(P("f.npy"), input.Features, input.Count, 3);
        Npy.Write(P("w.npy"), random.Normal(2 * 27 * 3), 2, 3, 3, 3, 3);
        var before = File.ReadAllBytes(P("f.npy"));
        string[] Args(string outCoords, string outFeatures) =>
            ["conv", "--coords", P("c.npy"), "--features", P("f.npy"), "--weight", P("w.npy"), "--kind", "subm", "--kernel", "3",
             "--spatial-shape", "4,4,4", "--accelerator", "cpu", "--out-coords", outCoords, "--out-features", outFeatures];
        AssertOneLine(CliRunner.Run(Args(P("oc.npy"), P("f.npy"))), "--out-features: " + P("f.npy") + " is also an input of this command");
        AssertOneLine(CliRunner.Run(Args(P("c.npy"), P("of.npy"))), "--out-coords: " + P("c.npy") + " is also an input");
        Assert.Equal(before, File.ReadAllBytes(P("f.npy")));
        // Through another path to the same file: a symbolic link is recognised too.
        File.CreateSymbolicLink(P("alias.npy"), P("f.npy"));
        AssertOneLine(CliRunner.Run(Args(P("oc.npy"), P("alias.npy"))), "is also an input of this command");
        // An output that is a directory fails before the conv (and before --out-coords is written).
        Directory.CreateDirectory(P("dir.npy"));
        AssertOneLine(CliRunner.Run(Args(P("oc.npy"), P("dir.npy"))), "--out-features: " + P("dir.npy") + " is a directory");
        Assert.False(File.Exists(P("oc.npy")));

        // calibrate: the shard statistics would replace the scan they are made from.
        WriteScan(P("scan.bin"), 1);
        var scan = File.ReadAllBytes(P("scan.bin"));
        AssertOneLine(CliRunner.Run("calibrate", "--model", "second", "--inputs", P("scan.bin"), "--shard", "0/2", "--out", P("scan.bin"), "--accelerator", "cpu"),
            "--out: " + P("scan.bin") + " is also an input of this command");
        Assert.Equal(scan, File.ReadAllBytes(P("scan.bin")));
    }

    [Fact]
    public void Writes_are_atomic_a_failed_write_leaves_the_previous_file_and_no_temporary()
    {
        AtomicFile.WriteAllText(P("out.json"), "first");
        var e = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(P("out.json"), stream =>
        {
            stream.Write(new byte[4096]);
            throw new InvalidOperationException("the disk filled up halfway");
        }));
        Assert.Equal("the disk filled up halfway", e.Message);
        Assert.Equal("first", File.ReadAllText(P("out.json")));
        Assert.Equal(["out.json"], Directory.GetFiles(_folder).Select(Path.GetFileName));
        // Every writer goes through it: an .npy output replaced whole.
        Npy.Write(P("a.npy"), new float[] { 1, 2 }, 2);
        Npy.Write(P("a.npy"), new float[] { 3, 4, 5 }, 3);
        Assert.Equal([3f, 4f, 5f], Npy.ReadFloat32(P("a.npy"), 1, "a").Data);
        Assert.Throws<IOException>(() => AtomicFile.WriteAllText(_folder, "x")); // a directory is never replaced
    }

    [Fact]
    public void A_fifo_as_input_is_refused_at_once_instead_of_blocking()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "FIFOs are made with mkfifo here");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", P("scan.bin")))
        {
            mkfifo.WaitForExit();
        }
        var run = Task.Run(() => CliRunner.Run("run", "--model", "second", "--input", P("scan.bin"), "--accelerator", "cpu"));
        Assert.True(run.Wait(TimeSpan.FromSeconds(60)), "kernelgen run blocked on the FIFO");
        AssertOneLine(run.Result, "is a FIFO, device or socket, not a regular file");
        Assert.Contains("is a FIFO", Assert.Throws<IOException>(() => ScanReader.Read(P("scan.bin"))).Message);
        Assert.Contains("is a FIFO", Assert.Throws<IOException>(() => QuantizationProfile.Load(P("scan.bin"))).Message);
    }

    // ---- what was weak ----

    [Fact]
    public void Output_paths_are_checked_before_any_work()
    {
        WriteScan(P("scan.bin"), 1);
        Directory.CreateDirectory(P("profile-dir"));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        AssertOneLine(CliRunner.Run("calibrate", "--model", "second", "--inputs", P("scan.bin"), "--out", P("profile-dir"), "--accelerator", "cpu"),
            "--out: " + P("profile-dir") + " is a directory");
        AssertOneLine(CliRunner.Run("calibrate", "--model", "second", "--inputs", P("scan.bin"), "--out", P("p.json"), "--json", P("missing/x.json"), "--accelerator", "cpu"),
            "--json: folder " + P("missing") + " does not exist");
        AssertOneLine(CliRunner.Run("calibrate", "--model", "second", "--inputs", P("scan.bin"), "--out", P("p.json"), "--json", P("p.json"), "--accelerator", "cpu"),
            "--out and --json name the same file");
        AssertOneLine(CliRunner.Run("run", "--model", "second", "--input", P("scan.bin"), "--json", P("scan.bin"), "--accelerator", "cpu"),
            "--json: " + P("scan.bin") + " is also an input");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "the checks came after the work");
    }

    [Fact]
    public void Options_that_would_be_ignored_are_refused()
    {
        WriteScan(P("scan.bin"), 1);
        File.WriteAllText(P("profile.json"), "{}");
        SafeTensors.Write(P("w.safetensors"), [new SafeTensor("x", [1], [1f])]);
        AssertOneLine(CliRunner.Run("run", "--model", "second", "--input", P("scan.bin"), "--profile", P("profile.json"), "--quant", "fp32"),
            "give --quant (scales from each scan) or --profile (calibrated static scales), not both");
        AssertOneLine(CliRunner.Run("run", "--model", "second", "--input", P("scan.bin"), "--weights", P("w.safetensors"), "--synthetic", "random"),
            "give --weights (a checkpoint) or --synthetic (synthetic weights), not both");
        AssertOneLine(CliRunner.Run("calibrate", "--model", "second", "--inputs", P("scan.bin"), "--out", P("p.json"), "--target-sqnr", "-5"),
            "--target-sqnr must be a positive, finite number of dB");
        var random = new RandomSparse();
        var input = random.Tensor(new SpatialShape(4, 4, 4), 4, density: 0.4);
        Npy.Write(P("c.npy"), input.Coordinates, input.Count, 4);
        Npy.Write(P("f.npy"), input.Features, input.Count, 4);
        Npy.Write(P("w.npy"), random.Normal(2 * 27 * 4), 2, 3, 3, 3, 4);
        AssertOneLine(CliRunner.Run("conv", "--coords", P("c.npy"), "--features", P("f.npy"), "--weight", P("w.npy"), "--kind", "subm", "--kernel", "3",
                "--spatial-shape", "4,4,4", "--quant", "w8a8", "--alpha", "0.7", "--out-coords", P("oc.npy"), "--out-features", P("of.npy")),
            "--alpha is SmoothQuant's migration strength: it applies to --quant w8a8-smooth");
    }

    [Fact]
    public void Calibrate_with_any_shard_writes_statistics_and_merge_refuses_a_shard_option()
    {
        WriteScan(P("scan.bin"), 1);
        var one = CliRunner.Run("calibrate", "--model", "second", "--inputs", P("scan.bin"), "--shard", "0/1", "--out", P("s.json"), "--accelerator", "cpu");
        Assert.True(one.ExitCode == 0, one.Error);
        Assert.Equal("kernelgen-calibration-statistics", (string)JsonNode.Parse(File.ReadAllText(P("s.json")))!["kind"]!);
        AssertOneLine(CliRunner.Run("calibrate", "merge", P("s.json"), "--shard", "0/1", "--model", "second", "--inputs", P("scan.bin"), "--out", P("p.json")),
            "calibrate merge takes shard files, not --shard");
    }

    [Fact]
    public void A_profile_this_build_wrote_for_the_same_sensor_gives_no_sensor_warning()
    {
        WriteScan(P("scan.bin"), 1);
        var calibrate = CliRunner.Run("calibrate", "--model", "second", "--inputs", P("scan.bin"), "--out", P("p.json"), "--sample", "1", "--observer", "max", "--accelerator", "cpu");
        Assert.True(calibrate.ExitCode == 0, calibrate.Error);
        var run = CliRunner.Run("run", "--model", "second", "--input", P("scan.bin"), "--profile", P("p.json"), "--accelerator", "cpu", "--cache", P("cache.json"));
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.DoesNotContain("warning:", run.Output);
    }

    [Fact]
    public void Data_that_would_be_read_wrong_is_refused_naming_what()
    {
        // A BatchNorm statistic that is not finite, named by its tensor (not as the conv's weight or bias).
        var conv = new ConvWeights(new float[2 * 27 * 2], 2, KernelGen.KernelMaps.Triple.All(3), 2);
        float[] ones = [1f, 1f];
        Assert.Contains("BatchNorm running_var of channel 1 is Infinity",
            Assert.Throws<ArgumentException>(() => BatchNormFolding.Fold(conv, ones, ones, ones, [1f, float.PositiveInfinity])).Message);
        Assert.Contains("BatchNorm running_mean of channel 0 is NaN",
            Assert.Throws<ArgumentException>(() => BatchNormFolding.Fold(conv, ones, ones, [float.NaN, 0f], ones)).Message);

        // Names: empty, or with characters that reorder or break a terminal line.
        var network = BuiltInModels.Load("second").Network;
        Assert.Contains("the network's name is empty", Assert.Throws<NetworkValidationException>(() => NetworkValidator.Validate(network with { Name = "" })).Message);
        var nodes = network.Nodes.ToList();
        nodes[0] = nodes[0] with { Name = "conv\u202Einput" };
        var e = Assert.Throws<NetworkValidationException>(() => NetworkValidator.Validate(network with { Nodes = nodes }));
        Assert.Contains("holds the control or bidirectional character U+202E", e.Message);
        Assert.DoesNotContain('\u202E', e.Message);

        // A key given twice in a description.
        File.WriteAllText(P("twice.json"), NetworkJson.Serialize(network).Replace("\"name\": \"second\"", "\"name\": \"second\", \"name\": \"other\""));
        Assert.Contains("twice.json", Assert.Throws<NetworkFormatException>(() => NetworkJson.Load(P("twice.json"))).Message);
    }

    [Fact]
    public void A_profile_with_a_duplicate_key_or_an_entry_for_no_node_is_refused()
    {
        var network = BuiltInModels.Load("second");
        var weights = NetworkWeights.Synthetic(network);
        using var runner = new NetworkRunner(CpuAccelerator());
        var calibrator = new Calibrator(runner, network, weights);
        var statistics = calibrator.NewStatistics();
        var voxels = network.Voxelize(Scan(1));
        calibrator.Observe(statistics, new CalibrationScan(0, "s0"), voxels);
        var profile = calibrator.Decide(statistics, [("s0", voxels)], ScaleObserver.Max, new CalibrationTarget(Cosine: -0.5));
        profile.Save(P("p.json"));
        var text = File.ReadAllText(P("p.json"));
        File.WriteAllText(P("dup.json"), text.Replace("\"kind\":", "\"network\": \"x\",\n  \"kind\":"));
        Assert.Contains("dup.json", Assert.Throws<InvalidDataException>(() => QuantizationProfile.Load(P("dup.json"))).Message);
        var stray = profile with { Layers = [.. profile.Layers, new LayerProfile("conv9", false)] };
        Assert.Contains("the profile has an entry for node conv9, which the network does not have",
            Assert.Throws<InvalidDataException>(() => stray.PlanFor(network, weights)).Message);
        // A directory given as a profile says so (not "access denied").
        Directory.CreateDirectory(P("dir"));
        Assert.Contains("is a directory, not a file", Assert.Throws<IOException>(() => QuantizationProfile.Load(P("dir"))).Message);
    }

    [Fact]
    public void A_gzip_bomb_stops_at_the_formats_limit_naming_the_file()
    {
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var zeros = new byte[1 << 20];
            for (int i = 0; i < 160; i++)
            {
                gzip.Write(zeros); // 160 MiB of zeros: past the 128 MiB an 8.4M-point scan can be
            }
        }
        File.WriteAllBytes(P("bomb.bin.gz"), compressed.ToArray());
        var e = Assert.Throws<InvalidDataException>(() => ScanReader.Read(P("bomb.bin.gz")));
        Assert.Contains("'bomb.bin.gz': the gzip stream expands past 128 MiB", e.Message);
    }

    [Fact]
    public void Demo_on_a_scan_without_voxels_is_an_error_not_a_pass()
    {
        var far = new float[] { 500f, 500f, 500f, 0.5f };
        var bytes = new byte[far.Length * 4];
        Buffer.BlockCopy(far, 0, bytes, 0, bytes.Length);
        File.WriteAllBytes(P("far.bin"), bytes);
        var result = CliRunner.Run("demo", "--input", P("far.bin"), "--accelerator", "cpu");
        AssertOneLine(result, "no point of the scan lies in the");
        Assert.DoesNotContain("demo passed", result.Output);
    }

    [Fact]
    public void An_unknown_option_is_one_line()
    {
        var result = CliRunner.Run("run", "--no-such-option", "1");
        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.ErrorLines);
        Assert.StartsWith("kernelgen: error:", result.Error);
    }

    [Fact]
    public void An_owned_folder_refuses_a_second_run_and_never_mixes_two_runs_files()
    {
        string[] outputs = ["profile.json", "report.md"];
        using (var first = OwnedFolder.Open(P("out"), outputs, []))
        {
            var e = Assert.Throws<IOException>(() => OwnedFolder.Open(P("out"), outputs, []));
            Assert.Contains("is being written by another run", e.Message);
            File.WriteAllText(first.Staged("profile.json"), "profile 1");
            File.WriteAllText(first.Staged("report.md"), "report 1");
            Assert.False(File.Exists(first.Final("report.md"))); // nothing is in place before the run ends
            first.Commit();
        }
        Assert.Equal("report 1", File.ReadAllText(P("out/report.md")));
        // A run that loaded a profile (writes no profile.json): the earlier run's profile is removed beside its new report.
        using (var second = OwnedFolder.Open(P("out"), outputs, []))
        {
            File.WriteAllText(second.Staged("report.md"), "report 2");
            second.Commit();
        }
        Assert.False(File.Exists(P("out/profile.json")));
        // A run that stops before its end (SIGINT) leaves the earlier files as they were, and no staging folder.
        using (var third = OwnedFolder.Open(P("out"), outputs, []))
        {
            File.WriteAllText(third.Staged("report.md"), "report 3");
        }
        Assert.Equal("report 2", File.ReadAllText(P("out/report.md")));
        Assert.Equal(["report.md"], Directory.GetFileSystemEntries(P("out")).Select(Path.GetFileName));
        // The folder's own input (a profile the run reads) may stay; another input it would replace may not.
        File.WriteAllText(P("out/profile.json"), "{}");
        using (OwnedFolder.Open(P("out"), outputs, [P("out/profile.json")], readOnly: ["profile.json"]))
        {
        }
        Assert.Contains("is an input of this run and would be replaced by its report.md",
            Assert.Throws<ArgumentException>(() => OwnedFolder.Open(P("out"), outputs, [P("out/report.md")])).Message);
        File.WriteAllText(P("file"), "");
        Assert.Contains("is a file; give a folder", Assert.Throws<IOException>(() => OwnedFolder.Open(P("file"), outputs, [])).Message);
    }

    private ILGPU.Runtime.Accelerator CpuAccelerator() => fixture.Session.Accelerator;

    /// <summary>A few thousand points in front of a KITTI sensor (reflectance 0–1).</summary>
    private static PointCloud Scan(int seed)
    {
        var random = new Random(seed);
        var points = new float[3000 * 4];
        for (int i = 0; i < 3000; i++)
        {
            points[i * 4] = (float)(5 + random.NextDouble() * 20);
            points[i * 4 + 1] = (float)((random.NextDouble() - 0.5) * 20);
            points[i * 4 + 2] = (float)(random.NextDouble() * 2.5 - 2);
            points[i * 4 + 3] = (float)random.NextDouble();
        }
        return new PointCloud(points, $"scan{seed}", "KITTI (HDL-64E)", intensityMax: 1);
    }

    private static void WriteScan(string path, int seed)
    {
        var cloud = Scan(seed);
        var bytes = new byte[cloud.Xyzi.Length * 4];
        Buffer.BlockCopy(cloud.Xyzi, 0, bytes, 0, bytes.Length);
        File.WriteAllBytes(path, bytes);
    }
}
