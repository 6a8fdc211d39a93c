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

        // 1. Scan → voxels → the network's plan (kernel maps by indice key) through the one runner.
        var network = CenterPointLayers.Network;
        var cloud = inputPath is null ? ShippedScan() : ScanReader.Read(inputPath);
        var voxels = Voxelizer.Voxelize(cloud, config).Tensor;
        if (voxels.Count == 0)
        {
            // Nothing to measure: a cosine of 1 and an infinite SQNR over zero sites would be a lie.
            throw new ArgumentException($"{cloud.Source}: no point of the scan lies in the {config.Name} voxel range ({cloud.Count} points read)");
        }
        Step($"scan {cloud.Source}: {cloud.Count} points → {voxels.Count} voxels in {voxels.SpatialShape} ({config.Name})");
        var weights = weightsPath is null ? NetworkWeights.Synthetic(network) : NetworkWeights.FromSafeTensors(network, weightsPath);
        using var session = AcceleratorSession.Open(choice);
        using var runner = new NetworkRunner(session.Accelerator);
        var plan = runner.Plan(network, voxels, new KernelMapCache(new CpuKernelMapBuilder()));
        Step($"kernel maps: {plan.MapsBuilt} built for {plan.Nodes.Count} convs in {plan.MapsMs:F0} ms; device {session.Description}");

        // 2. Tune every node group, fp32 and W8A8 (or reuse the cache).
        var cache = new TuningCache(TuningCache.DefaultPath());
        foreach (var warning in cache.Warnings)
        {
            Step($"warning: {warning}");
        }
        var tuner = new LayerTuner(session.Accelerator, cache);
        int tunings = 0, fromCache = 0;
        var clock = Stopwatch.StartNew();
        IReadOnlyList<IConvKernel> fp32Kernels = [], int8Kernels = [];
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        console.Progress().AutoClear(true).Start(progress =>
        {
            var bar = progress.AddTask("tuning", maxValue: 2 * plan.Nodes.Count);
            void Tuned(PlannedNode node, KernelChoice choice)
            {
                bar.Description = $"tuning {node.Node.Name}";
                tunings++;
                fromCache += choice.Result.FromCache ? 1 : 0;
                if (choice.Warning is { } warning)
                {
                    console.MarkupLineInterpolated($"warning: {warning}");
                }
            }
            fp32Kernels = runner.Tune(plan, NetworkPrecision.Fp32, tuner, Tuned, _ => bar.Increment(1));
            int8Kernels = runner.Tune(plan, NetworkPrecision.W8A8Smooth, tuner, Tuned, _ => bar.Increment(1));
        });
        double tuneSeconds = clock.Elapsed.TotalSeconds;
        Step(fromCache == tunings
            ? $"tuning: all {tunings} choices from the cache {cache.Path}"
            : $"tuning: {tunings - fromCache} of {tunings} node groups tuned in {tuneSeconds:F0} s (cache {cache.Path})");

        // Say it when int8 will run the portable scalar kernel: the int8 numbers would be far slower than they should be.
        var portable = plan.Nodes.Where((node, i) => node.Layer.Quantization == QuantMode.W8A8 && int8Kernels[i].Capabilities.InstructionSet == CpuInstructionSet.Portable)
            .Select(node => node.Node.Name).ToList();
        if (portable.Count > 0)
        {
            Step($"warning: int8 runs the portable scalar kernel on {portable.Count} layers ({string.Join(", ", portable.Take(3))}{(portable.Count > 3 ? ", …" : "")}): " +
                 $"no vector int8 path is available here ({string.Join("; ", new[] { CpuInstructionSet.AvxVnni256, CpuInstructionSet.Avx512BW, CpuInstructionSet.Avx2 }.Select(set => $"{set}: {CpuFeatures.WhyNot(set) ?? "allowed"}"))})");
        }

        // 3. Calibrate on the scan: the fp32 run gives every node's input; per int8-capable node naive W8A8, the
        //    SmoothQuant alpha search and the mixed-precision decision, each against the node's own fp32 output.
        var fp32 = runner.Run(plan, weights, fp32Kernels, PrecisionPlan.Fp32, keepOutputs: true);
        var naive = new Dictionary<string, LayerQuantization>(StringComparer.Ordinal);
        var smooth = new Dictionary<string, LayerQuantization>(StringComparer.Ordinal);
        var measurements = new List<LayerMeasurement>();
        console.Progress().AutoClear(true).Start(progress =>
        {
            var bar = progress.AddTask("calibrating", maxValue: plan.Nodes.Count);
            for (int i = 0; i < plan.Nodes.Count; i++)
            {
                bar.Increment(1);
                bar.Description = $"calibrating {plan.Nodes[i].Node.Name}";
                var node = plan.Nodes[i];
                if (node.Layer.Quantization != QuantMode.W8A8)
                {
                    continue;
                }
                var conv = weights[node.Node.Name];
                var input = node.Node.From == SparseNetwork.InputName ? plan.Input : fp32.Outputs[node.Node.From];
                var prepared = new LayerWeights(conv);
                var reference = RunNode(session, fp32Kernels[i], node.Map, prepared, input);
                var referenceWide = Array.ConvertAll(reference, v => (double)v);
                var maxima = LayerQuantizer.ChannelMaxima(input.Features, input.Channels);

                naive[node.Node.Name] = LayerQuantization.Calibrate(conv, maxima, smoothQuant: false);
                var naiveOut = RunNode(session, int8Kernels[i], node.Map, prepared.Quantized(PrecisionPlan.ForKernelsOf(node.Layer, naive[node.Node.Name])), input);
                var naiveError = ErrorMetrics.Compare(naiveOut, referenceWide);
                if (!node.Layer.SmoothQuant)
                {
                    measurements.Add(new LayerMeasurement(node.Node.Name, QuantMethod.W8A8, 0, naiveError));
                    continue;
                }
                var search = AlphaSearch.Search((sample, q, o) => RunNode(session, int8Kernels[i], sample, prepared.Quantized(q), input, o),
                    input, node.Map, conv, referenceWide);
                smooth[node.Node.Name] = LayerQuantization.Calibrate(conv, maxima, smoothQuant: true, search.BestAlpha);
                var smoothOut = RunNode(session, int8Kernels[i], node.Map, prepared.Quantized(smooth[node.Node.Name]), input);
                var smoothError = ErrorMetrics.Compare(smoothOut, referenceWide);
                measurements.Add(smoothError.RelativeL2 < naiveError.RelativeL2
                    ? new LayerMeasurement(node.Node.Name, QuantMethod.W8A8Smooth, search.BestAlpha, smoothError)
                    : new LayerMeasurement(node.Node.Name, QuantMethod.W8A8, 0, naiveError));
            }
        });
        var decisions = MixedPrecisionPolicy.Decide(measurements, budget).ToDictionary(d => d.Layer);
        Step($"calibrated on the scan: {decisions.Values.Count(d => d.Method != QuantMethod.Fp32)} of {plan.Nodes.Count} layers int8 within the {budget:P1} per-layer budget");

        // 4. The three runs through the runner with static scales (warm; median of three per node).
        var naivePlan = PrecisionPlan.Static(naive);
        var policyPlan = PrecisionPlan.Static(decisions.Values.Where(d => d.Method != QuantMethod.Fp32)
            .ToDictionary(d => d.Layer, d => d.Method == QuantMethod.W8A8Smooth ? smooth[d.Layer] : naive[d.Layer]));
        IReadOnlyList<IConvKernel> KernelsFor(PrecisionPlan precision) =>
            plan.Nodes.Select((node, i) => precision.IsInt8(node) ? int8Kernels[i] : fp32Kernels[i]).ToList();
        (NetworkRun Run, double[] Ms) Median(PrecisionPlan precision)
        {
            var kernels = KernelsFor(precision);
            var runs = Enumerable.Range(0, 3).Select(_ =>
            {
                // Each run allocates its outputs: collect the previous run's first, so no node pays for it.
                GC.Collect();
                GC.WaitForPendingFinalizers();
                return runner.Run(plan, weights, kernels, precision, keepOutputs: true);
            }).ToList();
            var ms = Enumerable.Range(0, plan.Nodes.Count).Select(i => runs.Select(r => r.Nodes[i].Ms).Order().ElementAt(1)).ToArray();
            return (runs[^1], ms);
        }
        var fp32Timed = Median(PrecisionPlan.Fp32);
        var naiveRun = Median(naivePlan);
        var int8Run = Median(policyPlan);
        Step($"runs: fp32 {fp32Timed.Ms.Sum():F0} ms, naive W8A8 {naiveRun.Ms.Sum():F0} ms, W8A8 + SmoothQuant (policy) {int8Run.Ms.Sum():F0} ms");

        // 5. Per node and BEV comparisons against fp32.
        var rows = new List<LayerRow>();
        for (int i = 0; i < plan.Nodes.Count; i++)
        {
            var node = plan.Nodes[i];
            string name = node.Node.Name;
            var reference = fp32.Outputs[name].Features;
            string decision = decisions.TryGetValue(name, out var d) ? d.Reason : $"fp32 — no W8A8 kernels ({node.Layer.InChannels} input channels)";
            var method = d?.Method ?? QuantMethod.Fp32;
            rows.Add(new LayerRow(name, node.Layer.Geometry.Kind == ConvKind.SubManifold ? "SubM" : "Sparse",
                node.Layer.InChannels, node.Layer.OutChannels, node.InputSites.Count, node.Map.OutputCount,
                fp32Kernels[i].Name, method == QuantMethod.Fp32 ? "—" : int8Kernels[i].Name,
                MixedPrecisionPolicy.Describe(method, d?.Alpha ?? 0), decision, fp32Timed.Ms[i], naiveRun.Ms[i], int8Run.Ms[i],
                ErrorMetrics.Compare(naiveRun.Run.Outputs[name].Features, reference), ErrorMetrics.Compare(int8Run.Run.Outputs[name].Features, reference)));
        }
        var bev = CenterPointLayers.Bev(fp32.Output, out var bevShape);
        var bevNaive = ErrorMetrics.Compare(CenterPointLayers.Bev(naiveRun.Run.Output, out _), bev);
        var bevInt8 = ErrorMetrics.Compare(CenterPointLayers.Bev(int8Run.Run.Output, out _), bev);
        var result = new MainJobResult(cloud.Source, config.Name, session.Description, voxels.Count, plan.MapsMs, tuneSeconds, fromCache, tunings,
            rows, fp32Timed.Ms.Sum(), naiveRun.Ms.Sum(), int8Run.Ms.Sum(), bevNaive, bevInt8, bevShape, budget,
            weightsPath is null ? "synthetic (deterministic, fan-in scaled, BN folded, outlier channels)" : Path.GetFileName(weightsPath));
        Step("done");
        return (result, bev);
    }

    /// <summary>One node's conv on its own (no residual: calibration measures each conv's own error) through the contract.</summary>
    private static float[] RunNode(AcceleratorSession session, IConvKernel kernel, KernelMap map, LayerWeights weights, SparseTensor input, float[]? output = null)
    {
        output ??= new float[map.OutputCount * weights.OutChannels];
        kernel.Run(session.Accelerator, new ConvCall { Map = map, Weights = weights, Input = input.Features, Output = output });
        return output;
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
