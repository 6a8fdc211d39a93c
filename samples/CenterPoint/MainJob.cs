using KernelGen.Networks;
using System.Diagnostics;
using KernelGen.Accelerators;
using KernelGen.IO;
using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Points;
using KernelGen.Quantization;
using KernelGen.Tensors;
using KernelGen.Tuning;
using KernelGen.Profiles;
using KernelGen.Models;
using KernelGen.Variants;
using Spectre.Console;

namespace KernelGen.Samples.CenterPoint.App;

/// <summary>Per layer: what ran, how it did against fp32 on the held-out scan, and its input's statistics.</summary>
internal sealed record LayerRow(
    string Name, string Kind, int InChannels, int OutChannels, int SitesIn, int SitesOut, string Fp32Variant, string Int8Variant,
    string Precision, string Decision, double Fp32Ms, double NaiveMs, double SmoothMs, double Int8Ms, ErrorMetrics NaiveError, ErrorMetrics Int8Error,
    float InputMax, float OutlierRatio, double Gmac, double TileOffsetOccupancy);

/// <summary>One plan's network output against fp32: on the calibration scans (worst, mean) and on the held-out scan.</summary>
internal sealed record PlanAgreement(string Plan, int Int8Layers, double CalibrationWorstCosine, double CalibrationMeanCosine,
    double CalibrationWorstSqnrDb, ErrorMetrics HeldOut, double Ms);

/// <summary>Everything the report shows.</summary>
internal sealed record MainJobResult(
    string Scan, string Config, string Device, int Voxels, double MapsMs, double TuneSeconds, int TunedFromCache, int Tunings,
    IReadOnlyList<LayerRow> Layers, double Fp32Ms, double NaiveMs, double Int8Ms, ErrorMetrics BevNaive, ErrorMetrics BevInt8,
    int[] BevShape, string Target, string Weights, IReadOnlyList<string> CalibrationScans, string Profile, bool ProfileLoaded,
    IReadOnlyList<PlanAgreement> Plans, IReadOnlyList<PolicyStep> Curve, string? SensorWarning);

/// <summary>The pipeline of <c>dotnet run --project samples/CenterPoint</c>.</summary>
internal static class MainJob
{
    public static (MainJobResult Result, float[] Bev) Run(
        string? inputPath, IReadOnlyList<string>? calibrationInputs, string? profilePath, VoxelConfig config, AcceleratorChoice choice,
        PointFormat? pointFormat, IReadOnlyList<string>? sweepPaths, string? weightsPath, SyntheticStatistics synthetic, CalibrationTarget target, PtqMethods methods, string profileOut, TextWriter output)
    {
        var total = Stopwatch.StartNew();
        void Step(string text) => output.WriteLine($"[{total.Elapsed.TotalSeconds,6:F1} s] {text}");

        // 1. The held-out scan (default: the shipped capture's first complete revolution) and the calibration set
        //    (default: the shipped capture's other complete revolutions): calibrated on one, evaluated on the other.
        var network = BuiltInModels.Load("centerpoint");
        var shipped = ShippedRevolutions();
        double? intensityMax = network.Network.Input.IntensityMax;
        var cloud = inputPath is null ? shipped[0].Cloud
            : sweepPaths is { Count: > 0 } ? SweepAggregation.Read(inputPath, sweepPaths, pointFormat) : ScanReader.Read(inputPath, pointFormat);
        var voxels = Voxels(cloud.ScaledTo(intensityMax), config);
        Step($"held-out scan {cloud.Source} ({cloud.Sensor}, {cloud.DescribeScaling(intensityMax)}): {cloud.Count} points → {voxels.Count} voxels in {voxels.SpatialShape} ({config.Name})");
        var set = calibrationInputs is { Count: > 0 } ? CalibrationSet.From(calibrationInputs) : CalibrationSet.Of(shipped.Skip(1));
        var calibrationClouds = new List<PointCloud>();
        var calibrationVoxels = set.Scans.Select(s =>
        {
            var read = set.Read(s.Index);
            calibrationClouds.Add(read);
            return (s.Name, Voxels: Voxels(read.ScaledTo(intensityMax), config));
        }).ToList();
        var calibratedInput = ProfileInput.Of(calibrationClouds, intensityMax);
        using var session = AcceleratorSession.Open(choice);
        using var runner = new NetworkRunner(session.Accelerator);
        // Synthetic weights stand for a model trained on the shipped capture: their BatchNorm statistics are measured on
        // its revolutions after the first (never the default held-out scan), in the network's own voxel config, so they
        // are the same weights whatever is evaluated or calibrated on (a profile made by `kernelgen calibrate` fits them).
        var weights = weightsPath is not null ? NetworkWeights.FromSafeTensors(network, weightsPath)
            : NetworkWeights.Synthetic(synthetic, runner, network, shipped.Skip(1).Select(r => Voxels(r.Cloud, network.Voxels)).ToList());
        string weightsText = weightsPath is not null ? Path.GetFileName(weightsPath)
            : NetworkWeights.Describe(synthetic, $"the shipped capture's revolutions {string.Join(", ", shipped.Skip(1).Select(r => r.Name[(r.Name.IndexOf('#') + 1)..]))}");
        Step($"weights: {weightsText}");
        var plan = runner.Plan(network, voxels);
        Step($"kernel maps: {plan.MapsBuilt} built for {plan.Nodes.Count} convs in {plan.MapsMs:F0} ms {(runner.MapBuilder is IlgpuKernelMapBuilder ? "on the device" : "on the host")}; device {session.Description}");
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });

        // 2. The quantization profile: calibrated here on the calibration set (and saved), or loaded.
        var calibrator = new Calibrator(runner, network, weights);
        CalibrationStatistics? statistics = null;
        QuantizationProfile? profile = null;
        if (profilePath is not null)
        {
            profile = QuantizationProfile.Load(profilePath);
            Step($"profile {profilePath}: {profile.Layers.Count(l => l.Int8)} int8 nodes, calibrated on {profile.Scans.Count} scans");
        }
        else
        {
            statistics = calibrator.NewStatistics();
            console.Progress().AutoClear(true).Start(progress =>
            {
                var bar = progress.AddTask("calibrating", maxValue: calibrationVoxels.Count + 1);
                foreach (var (scan, (name, scanVoxels)) in set.Scans.Zip(calibrationVoxels))
                {
                    bar.Description = $"observing {name}";
                    calibrator.Observe(statistics, scan, scanVoxels);
                    bar.Increment(1);
                }
                bar.Description = "deciding scales and precisions";
                profile = calibrator.Decide(statistics, calibrationVoxels.Take(4).ToList(), ScaleObserver.Auto, target, text => bar.Description = text, methods);
                bar.Increment(1);
            });
            profile = profile! with { Input = calibratedInput };
            profile.Save(profileOut);
            Step($"calibrated on {set.Scans.Count} scans ({string.Join(", ", set.Scans.Take(3).Select(s => s.Name))}{(set.Scans.Count > 3 ? ", …" : "")}): " +
                 $"{profile.Layers.Count(l => l.Int8)} of {plan.Nodes.Count} layers int8 for {target} (SmoothQuant + ptq {PtqMethodsOption.Format(methods)}); profile written to {profileOut}");
        }
        ArgumentNullException.ThrowIfNull(profile);
        string? sensorWarning = profile.Input is { } input ? input.WarningFor(cloud)
            : $"the profile {profilePath} does not record its calibration sensor (an older profile); {cloud.Sensor} may not match it";
        if (sensorWarning is not null)
        {
            Step($"warning: {sensorWarning}");
        }
        var naivePlan = profile.NaiveAllInt8PlanFor(network, weights);
        var smoothPlan = profile.AllInt8PlanFor(network, weights);
        var policyPlan = profile.PlanFor(network, weights);

        // 3. Tune every node group for fp32 and W8A8 on the held-out scan (or reuse the cache).
        var cache = new TuningCache(TuningCache.DefaultPath());
        foreach (var warning in cache.Warnings)
        {
            Step($"warning: {warning}");
        }
        var tuner = new LayerTuner(session.Accelerator, cache);
        int tunings = 0, fromCache = 0;
        var clock = Stopwatch.StartNew();
        IReadOnlyList<IConvKernel> fp32Kernels = [], int8Kernels = [];
        console.Progress().AutoClear(true).Start(progress =>
        {
            var bar = progress.AddTask("tuning", maxValue: 2 * plan.Nodes.Count);
            void Tuned(PlannedNode node, KernelChoice tuned)
            {
                bar.Description = $"tuning {node.Node.Name}";
                tunings++;
                fromCache += tuned.Result.FromCache ? 1 : 0;
                if (tuned.Warning is { } warning)
                {
                    console.MarkupLineInterpolated($"warning: {warning}");
                }
            }
            fp32Kernels = runner.Tune(plan, PrecisionPlan.F32, tuner, Tuned, _ => bar.Increment(1));
            int8Kernels = runner.Tune(plan, smoothPlan, tuner, Tuned, _ => bar.Increment(1));
        });
        double tuneSeconds = clock.Elapsed.TotalSeconds;
        Step(fromCache == tunings
            ? $"tuning: all {tunings} choices from the cache {cache.Path}"
            : $"tuning: {tunings - fromCache} of {tunings} node groups tuned in {tuneSeconds:F0} s (cache {cache.Path})");

        // Say it when int8 will run the portable scalar kernel: the int8 numbers would be far slower than they should be.
        var portable = plan.Nodes.Where((node, i) => smoothPlan.IsInt8(node) && int8Kernels[i].Capabilities.InstructionSet == CpuInstructionSet.Portable)
            .Select(node => node.Node.Name).ToList();
        if (portable.Count > 0)
        {
            Step($"warning: int8 runs the portable scalar kernel on {portable.Count} layers ({string.Join(", ", portable.Take(3))}{(portable.Count > 3 ? ", …" : "")}): " +
                 $"no vector int8 path is available here ({string.Join("; ", new[] { CpuInstructionSet.AvxVnni256, CpuInstructionSet.Avx512BW, CpuInstructionSet.Avx2 }.Select(set => $"{set}: {CpuFeatures.WhyNot(set) ?? "allowed"}"))})");
        }

        // 4. The held-out scan through the runner: fp32 and the three static plans. Times come from runs as a user's
        //    frame runs them (int8 chained between int8 nodes, only the outputs a later node reads kept), five per plan,
        //    the plans interleaved so that a drift of the machine (another tenant, the clock) falls on every plan alike;
        //    the median per node. One more run per plan keeps every node's output for the errors below.
        IReadOnlyList<IConvKernel> KernelsFor(PrecisionPlan precision) =>
            plan.Nodes.Select((node, i) => precision.IsInt8(node) ? int8Kernels[i] : fp32Kernels[i]).ToList();
        var precisions = new[] { PrecisionPlan.F32, naivePlan, smoothPlan, policyPlan };
        var kernelSets = precisions.Select(KernelsFor).ToList();
        var timed = precisions.Select(_ => new List<NetworkRun>()).ToList();
        for (int repeat = 0; repeat < 5; repeat++)
        {
            for (int p = 0; p < precisions.Length; p++)
            {
                // The garbage of the run before (another plan's) collected first, blocking: a background collection on one
                // of the cores would otherwise fall on this run (measured: fp32 kernels 2× slower after an int8 run).
                GC.Collect();
                GC.WaitForPendingFinalizers();
                timed[p].Add(runner.Run(plan, weights, kernelSets[p], precisions[p]));
            }
        }
        (NetworkRun Run, double[] Ms) Measured(int p) =>
            (runner.Run(plan, weights, kernelSets[p], precisions[p], keepOutputs: true),
             Enumerable.Range(0, plan.Nodes.Count).Select(i => timed[p].Select(r => r.Nodes[i].Ms).Order().ElementAt(timed[p].Count / 2)).ToArray());
        var fp32 = Measured(0);
        var naiveRun = Measured(1);
        var smoothRun = Measured(2);
        var int8Run = Measured(3);
        Step($"held-out runs (median of 5, interleaved): fp32 {fp32.Ms.Sum():F0} ms, naive W8A8 {naiveRun.Ms.Sum():F0} ms, W8A8 + SmoothQuant {smoothRun.Ms.Sum():F0} ms, policy {int8Run.Ms.Sum():F0} ms");

        // 5. The three plans on the calibration scans too (what the calibration saw), side by side with the held-out scan.
        var bev = BevGrid.Of(fp32.Run.Output, out var bevShape);
        ErrorMetrics HeldOut(NetworkRun run) => ErrorMetrics.Compare(BevGrid.Of(run.Output, out _), bev);
        var calibrationScans = calibrationVoxels.Select(c => c.Voxels).ToList();
        PlanAgreement Agreement(string name, PrecisionPlan precision, NetworkRun heldOut, double ms)
        {
            var onCalibration = calibrator.Agreement(calibrationScans, precision);
            return new PlanAgreement(name, plan.Nodes.Count(precision.IsInt8), onCalibration.WorstCosine, onCalibration.MeanCosine, onCalibration.WorstSqnrDb, HeldOut(heldOut), ms);
        }
        var plans = new List<PlanAgreement>
        {
            new("fp32", 0, 1, 1, double.PositiveInfinity, ErrorMetrics.Compare(bev, bev), fp32.Ms.Sum()),
            Agreement("naive W8A8, every int8-capable layer", naivePlan, naiveRun.Run, naiveRun.Ms.Sum()),
            Agreement("W8A8 + SmoothQuant, every int8-capable layer", smoothPlan, smoothRun.Run, smoothRun.Ms.Sum()),
            Agreement($"policy ({target})", policyPlan, int8Run.Run, int8Run.Ms.Sum()),
        };

        // 6. Per node: kernels, times, errors on the held-out scan, and the input's statistics (the outlier story).
        var rows = new List<LayerRow>();
        for (int i = 0; i < plan.Nodes.Count; i++)
        {
            var node = plan.Nodes[i];
            string name = node.Node.Name;
            var reference = fp32.Run.Outputs[name].Features;
            var entry = profile.Layers.Single(l => l.Node == name);
            string decision = entry.Int8
                ? $"int8 — {(entry.Smoothing is null || entry.Smoothing.All(f => f == 1f) ? "W8A8" : $"W8A8 + SmoothQuant (α = {entry.Alpha:F1})")}, {entry.Observer?.ToString().ToLowerInvariant()} observer{(entry.Clip is { } clip ? $", scale ×{clip:G2} (output search)" : "")}{(entry.RoundedWeights is null ? "" : ", GPTQ-rounded")}{(entry.BiasCorrection is null ? "" : ", bias-corrected")}, layer rel. L2 {entry.LayerRelativeL2:P2} on the sample"
                : entry.Quantization is null ? $"fp32 — no W8A8 kernels ({node.Layer.InChannels} input channels)"
                : $"fp32 — demoted by the policy (int8 alone costs the output {entry.Sensitivity:G3} of cosine)";
            float inputMax = 0, outlier = 0;
            if (statistics?.Nodes.TryGetValue(name, out var observed) == true)
            {
                inputMax = observed.Maxima.Max();
                var sorted = observed.Maxima.Order().ToArray();
                outlier = sorted[sorted.Length / 2] > 0 ? sorted[^1] / sorted[sorted.Length / 2] : 0;
            }
            rows.Add(new LayerRow(name, node.Layer.Geometry.Kind == ConvKind.SubManifold ? "SubM" : "Sparse",
                node.Layer.InChannels, node.Layer.OutChannels, node.InputSites.Count, node.Map.OutputCount,
                fp32Kernels[i].Name, smoothPlan.IsInt8(node) ? int8Kernels[i].Name : "—",
                entry.Int8 ? "int8" : "fp32", decision, fp32.Ms[i], naiveRun.Ms[i], smoothRun.Ms[i], int8Run.Ms[i],
                ErrorMetrics.Compare(naiveRun.Run.Outputs[name].Features, reference), ErrorMetrics.Compare(int8Run.Run.Outputs[name].Features, reference),
                inputMax, outlier, node.Map.PairCount * (double)node.Layer.InChannels * node.Layer.OutChannels / 1e9,
                node.Map.TileOffsetOccupancy(64)));
        }
        var result = new MainJobResult($"{cloud.Source} ({cloud.Sensor}, {cloud.DescribeScaling(intensityMax)})", config.Name, session.Description, voxels.Count, plan.MapsMs, tuneSeconds, fromCache, tunings,
            rows, fp32.Ms.Sum(), naiveRun.Ms.Sum(), int8Run.Ms.Sum(), HeldOut(naiveRun.Run), HeldOut(int8Run.Run), bevShape, $"{target} (SmoothQuant + ptq {PtqMethodsOption.Format(profile.Methods)})",
            weightsText,
            profile.Scans, profilePath ?? profileOut, profilePath is not null, plans, profile.Curve, sensorWarning);
        Step("done");
        return (result, bev);
    }

    private static SparseTensor Voxels(PointCloud cloud, VoxelConfig config)
    {
        var voxels = Voxelizer.Voxelize(cloud, config).Tensor;
        // Nothing to measure: a cosine of 1 and an infinite SQNR over zero sites would be a lie.
        return voxels.Count > 0 ? voxels
            : throw new ArgumentException($"{cloud.Source}: no point of the scan lies in the {config.Name} voxel range ({cloud.Count} points read)");
    }

    /// <summary>The shipped capture's complete revolutions, in order (the first is the default held-out scan).</summary>
    private static List<(string Name, PointCloud Cloud)> ShippedRevolutions()
    {
        using var stream = typeof(MainJob).Assembly.GetManifestResourceStream("CenterPoint.sample_velodyne_hdl32.pcap")
            ?? throw new InvalidOperationException("the shipped scan is missing from the assembly");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        var complete = VelodynePcapReader.Decode(copy.ToArray(), "sample_velodyne_hdl32.pcap").Revolutions.Where(r => r.IsComplete).ToList();
        return complete.Count >= 2 ? complete.Select(r => ($"sample_velodyne_hdl32.pcap#{r.Index}", r.Points)).ToList()
            : throw new InvalidOperationException("the shipped capture needs two complete revolutions: one held out, one to calibrate on");
    }
}
