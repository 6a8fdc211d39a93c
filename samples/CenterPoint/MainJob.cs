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
using KernelGen.Variants;
using Spectre.Console;

namespace KernelGen.Samples.CenterPoint.App;

/// <summary>Per layer: what ran and how it did against fp32.</summary>
internal sealed record LayerRow(
    string Name, string Kind, int InChannels, int OutChannels, int SitesIn, int SitesOut, string Fp32Variant, string Int8Variant,
    string Precision, string Decision, double Fp32Ms, double NaiveMs, double Int8Ms, ErrorMetrics NaiveError, ErrorMetrics Int8Error);

/// <summary>Everything the report shows.</summary>
internal sealed record MainJobResult(
    string Scan, string Config, string Device, int Voxels, double MapsMs, double TuneSeconds, int TunedFromCache, int Tunings,
    IReadOnlyList<LayerRow> Layers, double Fp32Ms, double NaiveMs, double Int8Ms, ErrorMetrics BevNaive, ErrorMetrics BevInt8,
    int[] BevShape, double Budget, string Weights);

/// <summary>The pipeline of <c>dotnet run --project samples/CenterPoint</c>.</summary>
internal static class MainJob
{
    public static (MainJobResult Result, float[] Bev) Run(
        string? inputPath, VoxelConfig config, AcceleratorChoice choice, string? weightsPath, double budget, TextWriter output)
    {
        var total = Stopwatch.StartNew();
        void Step(string text) => output.WriteLine($"[{total.Elapsed.TotalSeconds,6:F1} s] {text}");

        // 1. Scan → voxels → kernel maps.
        var cloud = inputPath is null ? ShippedScan() : ScanReader.Read(inputPath);
        var voxels = Voxelizer.Voxelize(cloud, config).Tensor;
        Step($"scan {cloud.Source}: {cloud.Count} points → {voxels.Count} voxels in {voxels.SpatialShape} ({config.Name})");
        var weights = weightsPath is null ? NetworkWeights.Synthetic(CenterPointLayers.Network) : NetworkWeights.FromSafeTensors(CenterPointLayers.Network, weightsPath);
        using var session = AcceleratorSession.Open(choice);
        var maps = new KernelMapCache(new CpuKernelMapBuilder());
        var clock = Stopwatch.StartNew();
        var plans = CenterPointBackbone.Plan(voxels, weights, maps);
        double mapsMs = clock.Elapsed.TotalMilliseconds;
        Step($"kernel maps: {maps.Builds} built for {plans.Count} convs in {mapsMs:F0} ms; device {session.Description}");

        // 2. Tune every layer group (or reuse the cache).
        var cache = new TuningCache(TuningCache.DefaultPath());
        foreach (var warning in cache.Warnings)
        {
            Step($"warning: {warning}");
        }
        var tuner = new LayerTuner(session.Accelerator, cache);
        var groups = CenterPointTuning.Groups(voxels, maps);
        var winners = new Dictionary<(string, Precision, bool), IConvKernel>();
        int fromCache = 0;
        clock.Restart();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        console.Progress().AutoClear(true).Start(progress =>
        {
            var bar = progress.AddTask("tuning", maxValue: groups.Count);
            foreach (var group in groups)
            {
                bar.Description = $"tuning {group.Label} {group.Precision}";
                var choice = tuner.Tune(group.Generated, group.Needs, group.Input, group.Map);
                if (choice.Warning is { } warning)
                {
                    console.MarkupLineInterpolated($"warning: {warning}");
                }
                winners[(group.Generated.Name, group.Precision, group.Residual)] = choice.Kernel;
                fromCache += choice.Result.FromCache ? 1 : 0;
                bar.Increment(1);
            }
        });
        double tuneSeconds = clock.Elapsed.TotalSeconds;
        Step(fromCache == groups.Count
            ? $"tuning: all {groups.Count} choices from the cache {cache.Path}"
            : $"tuning: {groups.Count - fromCache} of {groups.Count} layer groups tuned in {tuneSeconds:F0} s (cache {cache.Path})");
        foreach (var plan in plans)
        {
            var generated = plan.Layer.Generated;
            plan.Fp32 = winners[(generated.Name, Precision.F32, plan.Layer.AddsResidual)];
            plan.Int8 = winners.GetValueOrDefault((generated.Name, Precision.W8A8, plan.Layer.AddsResidual));
        }

        // 3. Calibrate on the scan: the fp32 run gives every layer's input; per layer naive W8A8, SmoothQuant alpha search,
        //    and the mixed-precision decision.
        var backbone = new CenterPointBackbone(session.Accelerator);
        var fp32 = backbone.Run(voxels, plans, int8: false);
        var naive = new Dictionary<string, W8A8LayerWeights>();
        var measurements = new List<LayerMeasurement>();
        var smooth = new Dictionary<string, W8A8LayerWeights>();
        for (int i = 0; i < plans.Count; i++)
        {
            var plan = plans[i];
            if (plan.Layer.Generated.Quantization != QuantMode.W8A8)
            {
                continue;
            }
            var input = i == 0 ? voxels : fp32.Outputs[i - 1];
            var reference = new float[plan.Map.OutputCount * plan.Layer.OutChannels];
            backbone.RunLayer(plan, input, reference, residual: null, int8: false);
            var referenceWide = Array.ConvertAll(reference, v => (double)v);
            var maxima = LayerQuantizer.ChannelMaxima(input.Features, input.Channels);
            // Naive W8A8 through the layer's SmoothQuant kernels: unit factors are exactly no smoothing.
            naive[plan.Layer.Name] = plan.Layer.Generated.SmoothQuant
                ? W8A8LayerWeights.Create(plan.Weights, LayerQuantizer.ScaleOf(maxima, null), Enumerable.Repeat(1f, plan.Layer.InChannels).ToArray())
                : LayerQuantizer.Quantize(plan.Weights, maxima, QuantMethod.W8A8);
            plan.Quantized = naive[plan.Layer.Name];
            plan.Method = QuantMethod.W8A8;
            var naiveOut = new float[reference.Length];
            backbone.RunLayer(plan, input, naiveOut, null, int8: true);
            var naiveError = ErrorMetrics.Compare(naiveOut, referenceWide);
            var search = AlphaSearch.Search((sample, q, o) =>
            {
                var sampled = new LayerPlan(plan.Layer, sample, plan.Weights) { Int8 = plan.Int8, Quantized = q, Method = QuantMethod.W8A8Smooth };
                backbone.RunLayer(sampled, input, o, null, int8: true);
            }, input, plan.Map, plan.Weights, referenceWide);
            smooth[plan.Layer.Name] = LayerQuantizer.Quantize(plan.Weights, maxima, QuantMethod.W8A8Smooth, search.BestAlpha);
            plan.Quantized = smooth[plan.Layer.Name];
            plan.Method = QuantMethod.W8A8Smooth;
            var smoothOut = new float[reference.Length];
            backbone.RunLayer(plan, input, smoothOut, null, int8: true);
            var smoothError = ErrorMetrics.Compare(smoothOut, referenceWide);
            measurements.Add(smoothError.RelativeL2 < naiveError.RelativeL2
                ? new LayerMeasurement(plan.Layer.Name, QuantMethod.W8A8Smooth, search.BestAlpha, smoothError)
                : new LayerMeasurement(plan.Layer.Name, QuantMethod.W8A8, 0, naiveError));
        }
        var decisions = MixedPrecisionPolicy.Decide(measurements, budget).ToDictionary(d => d.Layer);
        Step($"calibrated on the scan: {decisions.Values.Count(d => d.Method != QuantMethod.Fp32)} of {plans.Count} layers int8 within the {budget:P1} per-layer budget");

        // 4. The three runs (warm; median of three per layer).
        void UseNaive()
        {
            foreach (var plan in plans.Where(p => naive.ContainsKey(p.Layer.Name)))
            {
                (plan.Quantized, plan.Method, plan.Alpha) = (naive[plan.Layer.Name], QuantMethod.W8A8, 0);
            }
        }
        void UsePolicy()
        {
            foreach (var plan in plans)
            {
                if (decisions.TryGetValue(plan.Layer.Name, out var d) && d.Method != QuantMethod.Fp32)
                {
                    (plan.Quantized, plan.Method, plan.Alpha) = (d.Method == QuantMethod.W8A8Smooth ? smooth[plan.Layer.Name] : naive[plan.Layer.Name], d.Method, d.Alpha);
                }
                else
                {
                    (plan.Quantized, plan.Method, plan.Alpha) = (null, QuantMethod.Fp32, 0);
                }
            }
        }
        BackboneRun Median(bool int8)
        {
            var runs = Enumerable.Range(0, 3).Select(_ =>
            {
                // Each run allocates every layer's output: collect the previous run's first, so no layer pays for it.
                GC.Collect();
                GC.WaitForPendingFinalizers();
                return backbone.Run(voxels, plans, int8);
            }).ToList();
            var ms = Enumerable.Range(0, plans.Count).Select(i => runs.Select(r => r.LayerMs[i]).Order().ElementAt(1)).ToList();
            return new BackboneRun(runs[^1].Outputs, ms);
        }
        var fp32Timed = Median(int8: false);
        UseNaive();
        var naiveRun = Median(int8: true);
        UsePolicy();
        var int8Run = Median(int8: true);
        Step($"runs: fp32 {fp32Timed.TotalMs:F0} ms, naive W8A8 {naiveRun.TotalMs:F0} ms, W8A8 + SmoothQuant (policy) {int8Run.TotalMs:F0} ms");

        // 5. Per layer and BEV comparisons against fp32.
        var rows = new List<LayerRow>();
        for (int i = 0; i < plans.Count; i++)
        {
            var plan = plans[i];
            var reference = fp32.Outputs[i].Features;
            string decision = decisions.TryGetValue(plan.Layer.Name, out var d) ? d.Reason : "fp32 — no W8A8 kernels (5 input channels)";
            rows.Add(new LayerRow(plan.Layer.Name, plan.Layer.Geometry.Kind == ConvKind.SubManifold ? "SubM" : "Sparse",
                plan.Layer.InChannels, plan.Layer.OutChannels, i == 0 ? voxels.Count : fp32.Outputs[i - 1].Count, plan.Map.OutputCount,
                plan.VariantName(false), plan.Method == QuantMethod.Fp32 ? "—" : plan.VariantName(true),
                MixedPrecisionPolicy.Describe(plan.Method, plan.Alpha), decision, fp32Timed.LayerMs[i], naiveRun.LayerMs[i], int8Run.LayerMs[i],
                ErrorMetrics.Compare(naiveRun.Outputs[i].Features, reference), ErrorMetrics.Compare(int8Run.Outputs[i].Features, reference)));
        }
        var bev = CenterPointBackbone.Bev(fp32.Outputs[^1], out var bevShape);
        var bevNaive = ErrorMetrics.Compare(CenterPointBackbone.Bev(naiveRun.Outputs[^1], out _), bev);
        var bevInt8 = ErrorMetrics.Compare(CenterPointBackbone.Bev(int8Run.Outputs[^1], out _), bev);
        var result = new MainJobResult(cloud.Source, config.Name, session.Description, voxels.Count, mapsMs, tuneSeconds, fromCache, groups.Count,
            rows, fp32Timed.TotalMs, naiveRun.TotalMs, int8Run.TotalMs, bevNaive, bevInt8, bevShape, budget,
            weightsPath is null ? "synthetic (deterministic, fan-in scaled, BN folded, outlier channels)" : Path.GetFileName(weightsPath));
        Step("done");
        return (result, bev);
    }

    private static PointCloud ShippedScan()
    {
        using var stream = typeof(MainJob).Assembly.GetManifestResourceStream("CenterPoint.sample_velodyne_hdl32.pcap")
            ?? throw new InvalidOperationException("the shipped scan is missing from the assembly");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return VelodynePcapReader.Decode(copy.ToArray(), "sample_velodyne_hdl32.pcap").FirstCompleteRevolution().Points;
    }
}
