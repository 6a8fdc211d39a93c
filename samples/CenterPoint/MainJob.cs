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

/// <summary>
/// Per layer: what ran, how it did against fp32 on the held-out scan, its input's statistics, its activation format and
/// what the network output keeps of fp32 on the calibration sample with only this layer int8 (where the error enters).
/// </summary>
internal sealed record LayerRow(
    string Name, string Kind, int InChannels, int OutChannels, int SitesIn, int SitesOut, string Fp32Variant, string Int8Variant,
    string Precision, string Decision, double Fp32Ms, double NaiveMs, double SmoothMs, double Int8Ms, ErrorMetrics NaiveError, ErrorMetrics Int8Error,
    float InputMax, float OutlierRatio, double Gmac, double TileOffsetOccupancy, string Activations, OutputAgreement? Alone);

/// <summary>One plan's network output against fp32: on the calibration scans (worst, mean) and on the held-out scan.</summary>
internal sealed record PlanAgreement(string Plan, int Int8Layers, double CalibrationWorstCosine, double CalibrationMeanCosine,
    double CalibrationWorstSqnrDb, ErrorMetrics HeldOut, double Ms);

/// <summary>One row of the ablation: a calibration choice, all-int8 and the recipe on the held-out scan, and its cost.</summary>
internal sealed record AblationRow(string Step, ErrorMetrics AllInt8, ErrorMetrics Recipe, double CalibrationSeconds);

/// <summary>Everything the report shows.</summary>
internal sealed record MainJobResult(
    string Scan, string Config, string Device, int Voxels, double MapsMs, double TuneSeconds, int TunedFromCache, int Tunings,
    IReadOnlyList<LayerRow> Layers, double Fp32Ms, double NaiveMs, double Int8Ms, double RecipeMs, ErrorMetrics BevNaive, ErrorMetrics BevInt8,
    int[] BevShape, string Target, string Weights, IReadOnlyList<string> CalibrationScans, string Profile, bool ProfileLoaded,
    IReadOnlyList<PlanAgreement> Plans, IReadOnlyList<PolicyStep> Curve, string? SensorWarning, string InputDomain, double CalibrationSeconds,
    IReadOnlyList<AblationRow> Ablation);

/// <summary>What <c>dotnet run --project samples/CenterPoint</c> was asked for (its options, parsed).</summary>
/// <param name="Input">The held-out scan, or null: the shipped capture's first complete revolution.</param>
/// <param name="Calibration">Calibration scans, captures or folders, or null: the shipped capture's other revolutions.</param>
/// <param name="Profile">A profile to load instead of calibrating, or null.</param>
/// <param name="ProfileOut">Where a calibrated profile is written.</param>
/// <param name="Ablation">Also calibrate with symmetric int8 activations everywhere (s8, as before u8) and report the
/// steps side by side: s8 → u8 → + recipe.</param>
/// <param name="ProfileStaged">Where the calibrated profile is written until the run ends (then it moves to <paramref name="ProfileOut"/>).</param>
/// <param name="HeldOutVoxels">Instead of <paramref name="Input"/>, the held-out frame as a user's own voxels
/// (<see cref="VoxelFiles"/>: coordinates and input features), on <paramref name="SpatialShape"/> or the config's grid.</param>
internal sealed record MainJobOptions(
    string? Input, IReadOnlyList<string>? Calibration, string? Profile, VoxelConfig Config, AcceleratorChoice Accelerator,
    PointFormat? PointFormat, IReadOnlyList<string>? Sweeps, string? Weights, SyntheticStatistics Synthetic,
    CalibrationTarget Target, PtqMethods Methods, string ProfileOut, bool Ablation = false, string? ProfileStaged = null, string? TuningCachePath = null,
    (string Coordinates, string Features)? HeldOutVoxels = null, SpatialShape? SpatialShape = null);

/// <summary>
/// The pipeline of <c>dotnet run --project samples/CenterPoint</c>, one step per method in the order <see cref="Run"/>
/// calls them: the scans, the weights, the kernel maps, the quantization profile, tuning, the timed runs, the plans'
/// agreement with fp32, and the per-layer rows.
/// </summary>
internal sealed class MainJob : IDisposable
{
    private readonly MainJobOptions _options;
    private readonly TextWriter _output;
    private readonly IAnsiConsole _console;
    private readonly Stopwatch _total = Stopwatch.StartNew();
    private readonly ValidatedNetwork _network = BuiltInModels.Load("centerpoint");
    private readonly AcceleratorSession _session;
    private readonly NetworkRunner _runner;

    private MainJob(MainJobOptions options, TextWriter output)
    {
        _options = options;
        _output = output;
        _console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        _session = AcceleratorSession.Open(options.Accelerator);
        _runner = new NetworkRunner(_session.Accelerator);
    }

    public void Dispose()
    {
        _runner.Dispose();
        _session.Dispose();
    }

    /// <summary>Runs every step; the report's data and the fp32 BEV map.</summary>
    public static (MainJobResult Result, float[] Bev) Run(MainJobOptions options, TextWriter output)
    {
        using var job = new MainJob(options, output);
        var scans = job.ReadScans();
        var (weights, weightsText) = job.Weights();
        var plan = job.Plan(scans);
        var calibrator = new Calibrator(job._runner, job._network, weights);
        var (profile, statistics, calibrationSeconds) = job.Profile(calibrator, scans, plan);
        string? sensorWarning = scans.Cloud is { } cloud ? job.SensorWarning(profile, cloud) : null;
        var plans = new StaticPlans(PrecisionPlan.F32, profile.NaiveAllInt8PlanFor(job._network, weights),
            profile.AllInt8PlanFor(job._network, weights), profile.PlanFor(job._network, weights),
            profile.RecipePlanFor(job._network, weights, job.RecipeFloat));
        var tuned = job.Tune(plan, plans.Smooth);
        job.WarnOfPortableInt8(plan, plans.Smooth, tuned.Int8);
        var runs = job.TimedRuns(plan, weights, plans, tuned);
        var bev = BevGrid.Of(runs.Fp32.Run.Output, out var bevShape);
        var agreements = job.Agreements(calibrator, scans, plan, plans, runs, bev);
        var rows = LayerRows(plan, profile, statistics, plans.Smooth, tuned, runs);
        var ablation = options.Ablation ? job.Ablation(calibrator, statistics, scans, plan, weights, profile, calibrationSeconds, runs, bev) : [];
        var config = options.Config;
        var result = new MainJobResult(scans.HeldOutName, config.Name,
            job._session.Description, scans.HeldOut.Count, plan.MapsMs, tuned.Seconds, tuned.FromCache, tuned.Tunings,
            rows, runs.Fp32.Ms.Sum(), runs.Naive.Ms.Sum(), runs.Policy.Ms.Sum(), runs.Recipe.Ms.Sum(),
            ErrorMetrics.Compare(BevGrid.Of(runs.Naive.Run.Output, out _), bev), ErrorMetrics.Compare(BevGrid.Of(runs.Policy.Run.Output, out _), bev),
            bevShape, $"{options.Target} (SmoothQuant + ptq {PtqMethodsOption.Format(profile.Methods)})", weightsText,
            profile.Scans, options.Profile ?? options.ProfileOut, options.Profile is not null, agreements, profile.Curve, sensorWarning,
            scans.InputDomain, calibrationSeconds, ablation);
        job.Step("done");
        return (result, bev);
    }

    private double? IntensityMax => _network.Network.Input.IntensityMax;

    /// <summary>What the recipe's leading convs run at: fp32 on the CPU accelerator, fp16 (tensor cores) on a GPU.</summary>
    private Precision RecipeFloat => _session.Accelerator.AcceleratorType == ILGPU.Runtime.AcceleratorType.CPU ? Precision.F32 : Precision.F16;

    private void Step(string text) => _output.WriteLine($"[{_total.Elapsed.TotalSeconds,6:F1} s] {text}");

    /// <summary>
    /// The held-out scan (or, without one, <see cref="HeldOut"/> read as the network's input features from voxel files)
    /// and the calibration scans, read and voxelized, and how their input domain was built.
    /// </summary>
    private sealed record Scans(
        PointCloud? Cloud, string HeldOutName, SparseTensor HeldOut, CalibrationSet Set, IReadOnlyList<(string Name, SparseTensor Voxels)> Calibration,
        string InputDomain);

    /// <summary>The five static plans the job compares.</summary>
    private sealed record StaticPlans(PrecisionPlan Fp32, PrecisionPlan Naive, PrecisionPlan Smooth, PrecisionPlan Policy, PrecisionPlan Recipe)
    {
        public IReadOnlyList<PrecisionPlan> All => [Fp32, Naive, Smooth, Policy, Recipe];
    }

    /// <summary>Each node's tuned fp32 and W8A8 kernel, and how the tuning went.</summary>
    private sealed record TunedKernels(IReadOnlyList<IConvKernel> Fp32, IReadOnlyList<IConvKernel> Int8, int Tunings, int FromCache, double Seconds)
    {
        public IReadOnlyList<IConvKernel> For(NetworkPlan plan, PrecisionPlan precision) =>
            plan.Nodes.Select((node, i) => precision.IsInt8(node) ? Int8[i] : Fp32[i]).ToList();
    }

    /// <summary>One plan's run that kept every output, and each node's median time over the timed runs.</summary>
    private sealed record MeasuredRun(NetworkRun Run, double[] Ms);

    /// <summary>The five plans' measured runs on the held-out scan.</summary>
    private sealed record PlanRuns(MeasuredRun Fp32, MeasuredRun Naive, MeasuredRun Smooth, MeasuredRun Policy, MeasuredRun Recipe);

    /// <summary>
    /// 1. The held-out scan (default: the shipped capture's first complete revolution) and the calibration set
    /// (default: the shipped capture's other complete revolutions): calibrated on one, evaluated on the other. The model
    /// reads aggregated sweeps with a time-lag channel (CenterPoint's nuScenes model), so captures are read in that domain:
    /// each revolution with the capture's earlier revolutions as sweeps — the held-out revolution never among a
    /// calibration scan's sweeps.
    /// </summary>
    private Scans ReadScans()
    {
        var config = _options.Config;
        bool sweeps = _network.HasTimeChannel;
        PointCloud? cloud = null;
        SparseTensor voxels;
        string heldOutName;
        if (_options.HeldOutVoxels is var (coordinates, features))
        {
            voxels = _network.CheckInput(VoxelFiles.Read(coordinates, features, _options.SpatialShape ?? config.SpatialShape));
            heldOutName = $"voxels {Path.GetFileName(coordinates)} + {Path.GetFileName(features)}";
            Step($"held-out {heldOutName}: {voxels.Count} voxels in {voxels.SpatialShape}, {voxels.Channels} channels ({string.Join(", ", _network.Network.Input.Features)})");
        }
        else
        {
            cloud = _options.Input is not { } input ? ShippedCapture.HeldOutScan(sweeps).Cloud
                : _options.Sweeps is { Count: > 0 } given ? SweepAggregation.Read(input, given, _options.PointFormat) : ScanReader.Read(input, _options.PointFormat);
            voxels = _runner.Voxelize(_network, cloud, config);
            heldOutName = $"{cloud.Source} ({cloud.Sensor}, {cloud.DescribeScaling(IntensityMax)})";
            Step($"held-out scan {heldOutName}: {cloud.Count} points → {voxels.Count} voxels in {voxels.SpatialShape} ({config.Name})");
        }
        var set = _options.Calibration is { Count: > 0 } calibration ? CalibrationSet.From(calibration, sweeps) : CalibrationSet.Of(ShippedCapture.CalibrationScans(sweeps));
        var clouds = set.Scans.Select(s => set.Read(s.Index)).ToList();
        string domain = !sweeps ? "single scans (the model reads no time channel)"
            : $"the model reads {SweepAggregation.MaxSweeps} aggregated sweeps with a time-lag channel, so each capture revolution is taken with the capture's earlier revolutions as sweeps "
              + $"(lag: revolutions behind × {VelodynePcapReader.Decode(ShippedCapture.Bytes(), ShippedCapture.FileName).RevolutionSeconds * 1e3:F1} ms for the shipped HDL-32E capture), the held-out revolution never in a calibration input; "
              + "KITTI and nuScenes files are read as given (--sweeps aggregates nuScenes sweeps)";
        Step($"input domain: {domain}");
        return new Scans(cloud, heldOutName, voxels, set, set.Scans.Zip(clouds, (scan, c) => (scan.Name, _network.Voxelize(c, config))).ToList(), domain);
    }

    /// <summary>
    /// 2. The weights: a checkpoint, or synthetic weights standing for a model trained on the shipped capture. Their
    /// BatchNorm statistics are measured on its revolutions after the first (never the default held-out scan), in the
    /// network's own voxel config, so they are the same weights whatever is evaluated or calibrated on (a profile made
    /// by <c>kernelgen calibrate</c> fits them).
    /// </summary>
    private (IReadOnlyDictionary<string, ConvWeights> Weights, string Text) Weights()
    {
        var (weights, text) = ModelWeights.Load(_network, _options.Weights, _options.Synthetic, _runner);
        Step($"weights: {text}");
        return (weights, text);
    }

    /// <summary>3. The kernel maps of every conv on the held-out scan (or voxels).</summary>
    private NetworkPlan Plan(Scans scans)
    {
        var plan = scans.Cloud is null ? _runner.PlanInput(_network, scans.HeldOut) : _runner.Plan(_network, scans.HeldOut);
        Step($"kernel maps: {plan.MapsBuilt} built for {plan.Nodes.Count} convs in {plan.MapsMs:F0} ms {(_runner.MapBuilder is IlgpuKernelMapBuilder ? "on the device" : "on the host")}; device {_session.Description}");
        return plan;
    }

    /// <summary>
    /// 4. The quantization profile: calibrated here on the calibration set (and saved), or loaded; and the seconds the
    /// calibration took (0 for a loaded profile).
    /// </summary>
    private (QuantizationProfile Profile, CalibrationStatistics? Statistics, double Seconds) Profile(Calibrator calibrator, Scans scans, NetworkPlan plan)
    {
        if (_options.Profile is { } path)
        {
            var loaded = QuantizationProfile.Load(path);
            Step($"profile {path}: {loaded.Layers.Count(l => l.Int8)} int8 nodes, calibrated on {loaded.Scans.Count} scans");
            return (loaded, null, 0);
        }
        // The same two steps, sample rule and sensor record as `kernelgen calibrate` (Calibrator.Observe / Decide).
        var clock = Stopwatch.StartNew();
        CalibrationStatistics? statistics = null;
        QuantizationProfile? profile = null;
        _console.Progress().AutoClear(true).Start(progress =>
        {
            var bar = progress.AddTask("calibrating", maxValue: scans.Set.Scans.Count + 1);
            statistics = calibrator.Observe(scans.Set, config: _options.Config, onScan: scan =>
            {
                bar.Description = $"observing {scan.Name}";
                bar.Increment(1);
            });
            bar.Description = "deciding scales and precisions";
            profile = calibrator.Decide(statistics, scans.Set, Settings, _options.Config, text => bar.Description = text);
            bar.Increment(1);
        });
        double seconds = clock.Elapsed.TotalSeconds;
        profile!.Save(_options.ProfileStaged ?? _options.ProfileOut);
        var names = scans.Set.Scans.Select(s => s.Name).ToList();
        Step($"calibrated on {names.Count} scans ({string.Join(", ", names.Take(3))}{(names.Count > 3 ? ", …" : "")}) in {seconds:F0} s: " +
             $"{profile.Layers.Count(l => l.Int8)} of {plan.Nodes.Count} layers int8 for {_options.Target} (SmoothQuant + ptq {PtqMethodsOption.Format(_options.Methods)}; " +
             $"u8 activations on {profile.Layers.Count(l => l.Format == ActivationFormat.U8)} layers); profile written to {_options.ProfileOut}");
        return (profile, statistics, seconds);
    }

    /// <summary>How this job calibrates: automatic observer, its target and methods, the default sample.</summary>
    private CalibrationSettings Settings => new(ScaleObserver.Auto, _options.Target, _options.Methods);

    /// <summary>Says it when the held-out scan's sensor is not the one the profile was calibrated on.</summary>
    private string? SensorWarning(QuantizationProfile profile, PointCloud cloud)
    {
        string? warning = profile.SensorWarningFor(cloud, _options.Profile ?? _options.ProfileOut);
        if (warning is not null)
        {
            Step($"warning: {warning}");
        }
        return warning;
    }

    /// <summary>5. Every node group tuned for fp32 and W8A8 on the held-out scan (or the cache's choices).</summary>
    private TunedKernels Tune(NetworkPlan plan, PrecisionPlan int8)
    {
        var cache = new TuningCache(_options.TuningCachePath ?? TuningCache.DefaultPath());
        foreach (var warning in cache.Warnings)
        {
            Step($"warning: {warning}");
        }
        var tuner = new LayerTuner(_session.Accelerator, cache);
        int tunings = 0, fromCache = 0;
        var clock = Stopwatch.StartNew();
        IReadOnlyList<IConvKernel> fp32 = [], w8a8 = [];
        _console.Progress().AutoClear(true).Start(progress =>
        {
            var bar = progress.AddTask("tuning", maxValue: 2 * plan.Nodes.Count);
            void Tuned(PlannedNode node, KernelChoice tuned)
            {
                bar.Description = $"tuning {node.Node.Name}";
                tunings++;
                fromCache += tuned.Result.FromCache ? 1 : 0;
                if (tuned.Warning is { } warning)
                {
                    _console.MarkupLineInterpolated($"warning: {warning}");
                }
            }
            fp32 = _runner.Tune(plan, PrecisionPlan.F32, tuner, Tuned, _ => bar.Increment(1));
            w8a8 = _runner.Tune(plan, int8, tuner, Tuned, _ => bar.Increment(1));
        });
        double seconds = clock.Elapsed.TotalSeconds;
        Step(fromCache == tunings
            ? $"tuning: all {tunings} choices from the cache {cache.Path}"
            : $"tuning: {tunings - fromCache} of {tunings} node groups tuned in {seconds:F0} s (cache {cache.Path})");
        return new TunedKernels(fp32, w8a8, tunings, fromCache, seconds);
    }

    /// <summary>Says it when int8 will run the portable scalar kernel: the int8 numbers would be far slower than they should be.</summary>
    private void WarnOfPortableInt8(NetworkPlan plan, PrecisionPlan int8, IReadOnlyList<IConvKernel> kernels)
    {
        var portable = plan.Nodes.Where((node, i) => int8.IsInt8(node) && kernels[i].Capabilities.InstructionSet == CpuInstructionSet.Portable)
            .Select(node => node.Node.Name).ToList();
        if (portable.Count > 0)
        {
            var vectorPaths = CpuFeatures.VectorPathsOf(Precision.W8A8);
            Step($"warning: int8 runs the portable scalar kernel on {portable.Count} layers ({string.Join(", ", portable.Take(3))}{(portable.Count > 3 ? ", …" : "")}): " +
                 $"no vector int8 path is available here ({string.Join("; ", vectorPaths.Select(set => $"{set}: {CpuFeatures.WhyNot(set) ?? "allowed"}"))})");
        }
    }

    /// <summary>
    /// 6. The held-out scan through the runner: fp32 and the four int8 plans. Times come from runs as a user's frame
    /// runs them (int8 chained between int8 nodes, only the outputs a later node reads kept), five per plan, the plans
    /// interleaved so that a drift of the machine (another tenant, the clock) falls on every plan alike; the median per
    /// node. One more run per plan keeps every node's output for the errors.
    /// </summary>
    private PlanRuns TimedRuns(NetworkPlan plan, IReadOnlyDictionary<string, ConvWeights> weights, StaticPlans plans, TunedKernels tuned)
    {
        var precisions = plans.All;
        var kernelSets = precisions.Select(p => tuned.For(plan, p)).ToList();
        var timed = precisions.Select(_ => new List<NetworkRun>()).ToList();
        for (int repeat = 0; repeat < 5; repeat++)
        {
            for (int p = 0; p < precisions.Count; p++)
            {
                // The garbage of the run before (another plan's) collected first, blocking: a background collection on one
                // of the cores would otherwise fall on this run (measured: fp32 kernels 2× slower after an int8 run).
                GC.Collect();
                GC.WaitForPendingFinalizers();
                timed[p].Add(_runner.Run(plan, weights, kernelSets[p], precisions[p]));
            }
        }
        MeasuredRun Measured(int p) =>
            new(_runner.Run(plan, weights, kernelSets[p], precisions[p], keepOutputs: true),
                Enumerable.Range(0, plan.Nodes.Count).Select(i => timed[p].Select(r => r.Nodes[i].Ms).Order().ElementAt(timed[p].Count / 2)).ToArray());
        var runs = new PlanRuns(Measured(0), Measured(1), Measured(2), Measured(3), Measured(4));
        Step($"held-out runs (median of 5, interleaved): fp32 {runs.Fp32.Ms.Sum():F0} ms, naive W8A8 {runs.Naive.Ms.Sum():F0} ms, W8A8 + SmoothQuant {runs.Smooth.Ms.Sum():F0} ms, " +
             $"policy {runs.Policy.Ms.Sum():F0} ms, recipe {runs.Recipe.Ms.Sum():F0} ms");
        return runs;
    }

    /// <summary>7. Each plan against fp32 on the calibration scans (what the calibration saw), beside the held-out scan.</summary>
    private IReadOnlyList<PlanAgreement> Agreements(Calibrator calibrator, Scans scans, NetworkPlan plan, StaticPlans plans, PlanRuns runs, float[] bev)
    {
        PlanAgreement Agreement(string name, PrecisionPlan precision, MeasuredRun heldOut)
        {
            var onCalibration = calibrator.Agreement(scans.Calibration.Select(c => c.Voxels).ToList(), precision);
            return new PlanAgreement(name, plan.Nodes.Count(precision.IsInt8), onCalibration.WorstCosine, onCalibration.MeanCosine, onCalibration.WorstSqnrDb,
                ErrorMetrics.Compare(BevGrid.Of(heldOut.Run.Output, out _), bev), heldOut.Ms.Sum());
        }
        return
        [
            new("fp32", 0, 1, 1, double.PositiveInfinity, ErrorMetrics.Compare(bev, bev), runs.Fp32.Ms.Sum()),
            Agreement("naive W8A8, every int8-capable layer", plans.Naive, runs.Naive),
            Agreement("W8A8 + SmoothQuant, every int8-capable layer", plans.Smooth, runs.Smooth),
            Agreement($"policy ({_options.Target})", plans.Policy, runs.Policy),
            Agreement($"recipe: first {QuantizationProfile.RecipeFloatLayers} convs {(RecipeFloat == Precision.F16 ? "fp16" : "fp32")}, the rest int8", plans.Recipe, runs.Recipe),
        ];
    }

    /// <summary>
    /// 9. The ablation (<c>--ablation</c>): the same statistics decided again with symmetric int8 activations everywhere
    /// (s8, the format before u8), then each step on the held-out scan — s8, u8, and either with the recipe — with the
    /// calibration time it cost.
    /// </summary>
    private IReadOnlyList<AblationRow> Ablation(
        Calibrator calibrator, CalibrationStatistics? statistics, Scans scans, NetworkPlan plan, IReadOnlyDictionary<string, ConvWeights> weights,
        QuantizationProfile profile, double calibrationSeconds, PlanRuns runs, float[] bev)
    {
        if (statistics is null)
        {
            Step("ablation skipped: a loaded profile has no statistics to decide again");
            return [];
        }
        var clock = Stopwatch.StartNew();
        QuantizationProfile? symmetric = null;
        _console.Status().Start("ablation: deciding with symmetric int8 activations", status =>
            symmetric = calibrator.Decide(statistics, scans.Set, Settings, _options.Config,
                text => status.Status($"ablation (s8): {text}"), unsignedActivations: false));
        double symmetricSeconds = clock.Elapsed.TotalSeconds;
        ErrorMetrics HeldOut(PrecisionPlan precision) =>
            ErrorMetrics.Compare(BevGrid.Of(_runner.Run(plan, weights, _runner.Defaults(plan, precision), precision).Output, out _), bev);
        var rows = new List<AblationRow>
        {
            new("symmetric int8 (s8 activations everywhere)", HeldOut(symmetric!.AllInt8PlanFor(_network, weights)),
                HeldOut(symmetric.RecipePlanFor(_network, weights, RecipeFloat)), symmetricSeconds),
            new("u8 activations after every ReLU", ErrorMetrics.Compare(BevGrid.Of(runs.Smooth.Run.Output, out _), bev),
                ErrorMetrics.Compare(BevGrid.Of(runs.Recipe.Run.Output, out _), bev), calibrationSeconds),
        };
        foreach (var row in rows)
        {
            Step($"ablation: {row.Step}: all int8 {row.AllInt8.Cosine:F5} / {row.AllInt8.SqnrDb:F1} dB, recipe {row.Recipe.Cosine:F5} / {row.Recipe.SqnrDb:F1} dB (calibration {row.CalibrationSeconds:F0} s)");
        }
        return rows;
    }

    /// <summary>8. Per node: kernels, times, errors on the held-out scan, and the input's statistics (the outlier story).</summary>
    private static IReadOnlyList<LayerRow> LayerRows(
        NetworkPlan plan, QuantizationProfile profile, CalibrationStatistics? statistics, PrecisionPlan int8, TunedKernels tuned, PlanRuns runs)
    {
        var rows = new List<LayerRow>();
        for (int i = 0; i < plan.Nodes.Count; i++)
        {
            var node = plan.Nodes[i];
            string name = node.Node.Name;
            var reference = runs.Fp32.Run.Outputs[name].Features;
            var entry = profile.Layers.Single(l => l.Node == name);
            float inputMax = 0, outlier = 0;
            if (statistics?.Nodes.TryGetValue(name, out var observed) == true)
            {
                inputMax = observed.Maxima.Max();
                var sorted = observed.Maxima.Order().ToArray();
                outlier = sorted[sorted.Length / 2] > 0 ? sorted[^1] / sorted[sorted.Length / 2] : 0;
            }
            rows.Add(new LayerRow(name, node.Layer.Geometry.Kind == ConvKind.SubManifold ? "SubM" : "Sparse",
                node.Layer.InChannels, node.Layer.OutChannels, node.InputSites.Count, node.Map.OutputCount,
                tuned.Fp32[i].Name, int8.IsInt8(node) ? tuned.Int8[i].Name : "—",
                entry.Int8 ? "int8" : "fp32", Decision(entry, node), runs.Fp32.Ms[i], runs.Naive.Ms[i], runs.Smooth.Ms[i], runs.Policy.Ms[i],
                ErrorMetrics.Compare(runs.Naive.Run.Outputs[name].Features, reference), ErrorMetrics.Compare(runs.Policy.Run.Outputs[name].Features, reference),
                inputMax, outlier, node.Map.PairCount * (double)node.Layer.InChannels * node.Layer.OutChannels / 1e9,
                node.Map.TileOffsetOccupancy(64), entry.Quantization is null ? "—" : entry.Format.Name(), entry.Alone));
        }
        return rows;
    }

    /// <summary>The profile's decision for one node, as the report says it.</summary>
    private static string Decision(LayerProfile entry, PlannedNode node) =>
        entry.Int8
            ? $"int8 — {(entry.Smoothing is null || entry.Smoothing.All(f => f == 1f) ? $"W8A8 ({entry.Format.Name()})" : $"W8A8 ({entry.Format.Name()}) + SmoothQuant (α = {entry.Alpha:F1})")}, {entry.Observer?.ToString().ToLowerInvariant()} observer{(entry.Clip is { } clip ? $", scale ×{clip:G2} (output search)" : "")}{(entry.RoundedWeights is null ? "" : ", GPTQ-rounded")}{(entry.BiasCorrection is null ? "" : ", bias-corrected")}, layer rel. L2 {entry.LayerRelativeL2:P2} on the sample"
            : entry.Quantization is null ? $"fp32 — no W8A8 kernels ({node.Layer.InChannels} input channels)"
            : $"fp32 — demoted by the policy (int8 alone costs the output {entry.Sensitivity:G3} of cosine)";
}
