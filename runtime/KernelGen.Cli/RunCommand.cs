using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using KernelGen.Accelerators;
using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Networks;
using KernelGen.Points;
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
        var command = new Command("run", "Run a sparse network (built-in or your own description) on a scan with tuned kernels.") { weights, synthetic, quant, profile, planOption };
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

            var frame = Stopwatch.StartNew();
            var cloud = options.Scan(parse, network);
            var voxels = network.Voxelize(cloud);
            double voxelizeMs = frame.Elapsed.TotalMilliseconds;
            var plan = runner.Plan(network, voxels);
            var tuner = new LayerTuner(session.Accelerator, cache);
            var warnings = new List<string>();
            var kernels = runner.Tune(plan, precision, tuner, (_, choice) =>
            {
                if (choice.Warning is { } w)
                {
                    warnings.Add(w);
                }
            });
            var run = runner.Run(plan, weightsByNode, kernels, precision);
            // A second, warm frame: buffers and kernels are in place, the tuning comes from the cache.
            frame.Restart();
            var warmVoxels = network.Voxelize(cloud);
            var warmPlan = runner.Plan(network, warmVoxels);
            var warm = runner.Run(warmPlan, weightsByNode, kernels, precision);
            double frameMs = frame.Elapsed.TotalMilliseconds;

            foreach (var warning in cache.Warnings.Concat(warnings).Distinct())
            {
                output.WriteLine($"warning: {warning}");
            }
            // The profile's calibration sensor against this scan's: a warning only when they differ (or the profile does not say).
            string? sensorWarning = loadedProfile is null ? null
                : loadedProfile.Input is { } calibrated ? calibrated.WarningFor(cloud)
                : $"the profile {Path.GetFileName(profilePath)} does not record its calibration sensor (an older profile); {cloud.Sensor} may not match it";
            if (sensorWarning is not null)
            {
                output.WriteLine($"warning: {sensorWarning}");
            }
            output.WriteLine($"{network.Network.Name} on {cloud.Source} ({cloud.Sensor}, {cloud.DescribeScaling(network.Network.Input.IntensityMax)}): {cloud.Count} points → {voxels.Count} voxels ({network.Voxels.Name}, {voxelizeMs:F0} ms), " +
                             $"{plan.MapsBuilt} kernel maps ({plan.MapsMs:F0} ms, {(runner.MapBuilder is IlgpuKernelMapBuilder ? "on the device" : "on the host")}), {session.Description}, {precisionText}");
            output.WriteLine($"{"node",-16} {"kernel",-36} {"precision",-9} {"sites out",10} {"ms",9}");
            for (int i = 0; i < plan.Nodes.Count; i++)
            {
                var node = warm.Nodes[i];
                output.WriteLine($"{node.Node,-16} {node.Kernel,-36} {node.Precision,-9} {warmPlan.Nodes[i].Map.OutputCount,10} {node.Ms,9:F2}");
            }
            output.WriteLine($"network {warm.TotalMs:F1} ms; per frame (voxelize + maps + network, warm) {frameMs:F1} ms; output {warm.Output.Count} sites × {warm.Output.Channels} channels");
            if (jsonPath is not null)
            {
                KernelGen.IO.AtomicFile.WriteAllText(jsonPath, JsonSerializer.Serialize(new
                {
                    model = network.Network.Name, scan = cloud.Source, voxels = voxels.Count, device = session.Description, quant = profilePath is null ? parse.GetValue(quant) : "profile", profile = profilePath, plan = profilePath is null ? null : planName ?? "policy",
                    networkMs = warm.TotalMs, frameMs, outputSites = warm.Output.Count, outputChannels = warm.Output.Channels,
                    nodes = warm.Nodes.Select(n => new { node = n.Node, kernel = n.Kernel, precision = n.Precision.ToString(), ms = n.Ms }),
                    firstRunMs = run.TotalMs,
                }, new JsonSerializerOptions { WriteIndented = true }));
            }
            return 0;
        });
        return command;
    }
}
