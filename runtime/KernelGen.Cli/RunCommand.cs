using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using KernelGen.Accelerators;
using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Networks;
using KernelGen.Points;
using KernelGen.Tensors;
using KernelGen.Tuning;

namespace KernelGen.Cli;

/// <summary>
/// <c>kernelgen run</c>: any network — built-in by name or a user's description with its own layer assembly — on a scan,
/// through the one <see cref="NetworkRunner"/>: voxelize, kernel maps, the tuned kernel per node (from the tuning cache,
/// tuned on first use), and the run at the chosen precision, with a per-node table and the per-frame latency.
/// </summary>
internal static class RunCommand
{
    public static Command Create(TextWriter output)
    {
        var options = new NetworkOptions();
        var weights = NetworkOptions.NewWeights();
        var synthetic = NetworkOptions.NewSynthetic();
        var quant = new Option<string>("--quant") { Description = $"{PrecisionPlan.Names} (int8 scales from the input itself)", DefaultValueFactory = _ => "fp32" };
        var profile = new Option<string?>("--profile") { Description = "quantization profile from `kernelgen calibrate`: static scales and per-layer precision (instead of --quant)" };
        var planOption = new Option<string?>("--plan")
        {
            Description = $"with --profile: policy (the profile's accuracy-targeted int8 layers; default) or recipe (NVIDIA's CenterPoint int8 recipe: the first {Profiles.QuantizationProfile.RecipeFloatLayers} convs fp32 on the CPU, fp16 on a GPU, every other conv int8 with the profile's scales)",
        };
        var frames = new Option<int>("--frames")
        {
            Description = "warm frames timed after the first (the scan again, maps rebuilt, tuned kernels reused); the summary gives their medians",
            DefaultValueFactory = _ => 1,
        };
        var command = new Command("run", "Run a sparse network (built-in or your own description) on a scan, or on your own voxels, with tuned kernels.") { weights, synthetic, quant, profile, planOption, frames };
        options.AddTo(command);
        command.SetAction(parse =>
        {
            var dynamic = PrecisionPlan.Parse(parse.GetValue(quant)!);
            string? profilePath = parse.GetValue(profile);
            if (profilePath is not null && parse.GetResult(quant) is { Implicit: false })
            {
                throw new ArgumentException("give --quant (scales from each scan) or --profile (calibrated static scales), not both");
            }
            NetworkOptions.CheckWeightsChoice(parse, weights, synthetic);
            string? planName = parse.GetValue(planOption);
            if (planName is not null && profilePath is null)
            {
                throw new ArgumentException("--plan chooses among a profile's plans: give --profile too");
            }
            if (planName is not (null or "policy" or "recipe"))
            {
                throw new ArgumentException($"--plan must be policy or recipe, got '{planName}'");
            }
            int warmFrames = parse.GetValue(frames);
            if (warmFrames < 1)
            {
                throw new ArgumentException($"--frames must be at least 1, got {warmFrames}");
            }
            var loadedProfile = profilePath is null ? null : Profiles.QuantizationProfile.Load(profilePath);
            string? jsonPath = options.JsonPath(parse, profilePath, parse.GetValue(weights));
            var network = options.Network(parse);
            using var session = AcceleratorSession.Open(AcceleratorSession.ParseChoice(parse.GetValue(options.Accelerator)!));
            using var runner = new NetworkRunner(session.Accelerator);
            var weightsByNode = NetworkOptions.Weights(network, parse.GetValue(weights), parse.GetValue(synthetic)!, runner);
            // The profile is checked against this network and these weights before any work.
            // The recipe's float layers run fp16 where the accelerator has tensor cores for it (a GPU), fp32 on the CPU.
            var elsewhere = session.Accelerator.AcceleratorType == ILGPU.Runtime.AcceleratorType.CPU ? Precision.F32 : Precision.F16;
            var precision = loadedProfile is null ? dynamic
                : planName == "recipe" ? loadedProfile.RecipePlanFor(network, weightsByNode, elsewhere)
                : loadedProfile.PlanFor(network, weightsByNode);
            string precisionText = profilePath is null ? parse.GetValue(quant)!
                : $"profile {Path.GetFileName(profilePath)}, {planName ?? "policy"} plan ({precision.Name}, static scales)";
            var cache = options.OpenCache(parse);

            var source = options.Source(parse, network);
            // The first frame tunes (or reads the tuning cache); only its figures are kept, so its maps and activations
            // are garbage before the warm frames start.
            var warnings = new List<string>();
            var (first, kernels) = FirstFrame(network, source, runner, weightsByNode, precision, new LayerTuner(session.Accelerator, cache), warnings);
            // Warm frames: buffers and kernels are in place, the tuning comes from the cache; maps are rebuilt each frame.
            // Only the latest frame is held while the next one runs.
            var timings = new List<FrameTiming>();
            (SparseTensor Voxels, NetworkPlan Plan, NetworkRun Run)? latest = null;
            for (int f = 0; f < warmFrames; f++)
            {
                latest = null;
                var (timing, v, p, r) = FrameTiming.Measure(
                    () => source.Voxelize(runner, network), v => source.Plan(runner, network, v), p => runner.Run(p, weightsByNode, kernels, precision));
                timings.Add(timing);
                latest = (v, p, r);
            }
            var (warmVoxels, warmPlan, warm) = latest!.Value;
            var median = FrameTiming.Median(timings);
            double frameMs = FrameTiming.MedianFrameMs(timings);
            foreach (var warning in cache.Warnings.Concat(warnings).Distinct())
            {
                output.WriteLine($"warning: {warning}");
            }
            // The profile's calibration sensor against this scan's: a warning only when they differ (or the profile does not say).
            string? sensorWarning = source.Cloud is { } cloud ? loadedProfile?.SensorWarningFor(cloud, Path.GetFileName(profilePath)!) : null;
            if (sensorWarning is not null)
            {
                output.WriteLine($"warning: {sensorWarning}");
            }
            output.WriteLine($"{network.Network.Name} on {source.Describe(network)} → {first.Voxels} voxels ({(source.Cloud is null ? "read" : network.Voxels.Name + (runner.DeviceVoxelizer is null ? "" : ", on the device"))}, {first.VoxelizeMs:F0} ms), " +
                             $"{first.MapsBuilt} kernel maps ({first.MapsMs:F0} ms, {(runner.MapBuilder is IlgpuKernelMapBuilder ? "on the device" : "on the host")}), {session.Description}, {precisionText}");
            output.WriteLine($"{"node",-16} {"kernel",-36} {"precision",-9} {"sites out",10} {"ms",9}");
            for (int i = 0; i < warmPlan.Nodes.Count; i++)
            {
                var node = warm.Nodes[i];
                output.WriteLine($"{node.Node,-16} {node.Kernel,-36} {node.Precision,-9} {warmPlan.Nodes[i].Map.OutputCount,10} {node.Ms,9:F2}");
            }
            output.WriteLine($"{"map",-16} {"kind",-12} {"method",-12} {"sites in",9} {"sites out",9} {"pairs",10} {"lookups/site",12} {"MB",6} {"ms",7}");
            foreach (var map in warmPlan.Maps)
            {
                output.WriteLine($"{map.Key,-16} {map.Kind,-12} {map.Method,-12} {map.SitesIn,9} {map.SitesOut,9} {map.Pairs,10} " +
                                 $"{(map.LookupsPerSite is { } l ? l.ToString("F1", CultureInfo.InvariantCulture) : "-"),12} {map.AllocatedBytes / 1e6,6:F1} {map.Ms,7:F2}");
            }
            output.WriteLine($"per frame, median of {timings.Count} warm: voxelize {median.VoxelizeMs:F1} ms ({(source.Cloud is { } c ? $"{c.Count} points → " : "read once: ")}{warmVoxels.Count} voxels, {median.VoxelizeBytes / 1e6:F1} MB allocated) + " +
                             $"{warmPlan.MapsBuilt} kernel maps {median.MapsMs:F1} ms ({median.MapsBytes / 1e6:F1} MB) + network {median.NetworkMs:F1} ms = {frameMs:F1} ms " +
                             $"(voxelize + maps {100 * (median.VoxelizeMs + median.MapsMs) / median.NetworkMs:F0} % of the network); output {warm.Output.Count} sites × {warm.Output.Channels} channels");
            output.WriteLine($"garbage-collection pauses inside those medians: voxelize {median.VoxelizeGcMs:F1} ms, maps {median.MapsGcMs:F1} ms, network {median.NetworkGcMs:F1} ms");
            if (jsonPath is not null)
            {
                KernelGen.IO.AtomicFile.WriteAllText(jsonPath, JsonSerializer.Serialize(new
                {
                    model = network.Network.Name, scan = source.Name, voxels = warmVoxels.Count, device = session.Description, quant = profilePath is null ? parse.GetValue(quant) : "profile", profile = profilePath, plan = profilePath is null ? null : planName ?? "policy",
                    networkMs = median.NetworkMs, frameMs, outputSites = warm.Output.Count, outputChannels = warm.Output.Channels,
                    voxelizeMs = median.VoxelizeMs, mapsMs = median.MapsMs, points = source.Cloud?.Count,
                    frames = timings,
                    nodes = warm.Nodes.Select(n => new { node = n.Node, kernel = n.Kernel, precision = n.Precision.ToString(), ms = n.Ms }),
                    maps = warmPlan.Maps.Select(m => new
                    {
                        key = m.Key, kind = m.Kind.ToString(), method = m.Method.ToString(), sitesIn = m.SitesIn, sitesOut = m.SitesOut,
                        pairs = m.Pairs, lookups = m.Lookups, allocatedBytes = m.AllocatedBytes, ms = m.Ms,
                    }),
                    firstRunMs = first.NetworkMs,
                }, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
            }
            return 0;
        });
        return command;
    }

    /// <summary>What the summary reports of the first frame.</summary>
    private sealed record FirstFrameFigures(int Voxels, double VoxelizeMs, int MapsBuilt, double MapsMs, double NetworkMs);

    /// <summary>The first frame: voxelize, plan, tune every node (from the cache where it has the choice) and run.</summary>
    private static (FirstFrameFigures Figures, IReadOnlyList<IConvKernel> Kernels) FirstFrame(
        ValidatedNetwork network, FrameSource source, NetworkRunner runner, IReadOnlyDictionary<string, ConvWeights> weights,
        PrecisionPlan precision, LayerTuner tuner, List<string> warnings)
    {
        var clock = Stopwatch.StartNew();
        var voxels = source.Voxelize(runner, network);
        double voxelizeMs = clock.Elapsed.TotalMilliseconds;
        var plan = source.Plan(runner, network, voxels);
        var kernels = runner.Tune(plan, precision, tuner, (_, choice) =>
        {
            if (choice.Warning is { } w)
            {
                warnings.Add(w);
            }
        });
        var run = runner.Run(plan, weights, kernels, precision);
        return (new FirstFrameFigures(voxels.Count, voxelizeMs, plan.MapsBuilt, plan.MapsMs, run.TotalMs), kernels);
    }
}
