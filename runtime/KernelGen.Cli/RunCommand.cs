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
        var model = new Option<string>("--model") { Description = "built-in model (centerpoint, second) or a description .json", DefaultValueFactory = _ => "centerpoint" };
        var layers = new Option<string?>("--layers") { Description = "assembly with the description's annotated layer classes (a user's model)" };
        var weights = new Option<string?>("--weights") { Description = "safetensors checkpoint with the description's tensor names (default: synthetic weights)" };
        var input = new Option<string?>("--input") { Description = "scan: KITTI .bin(.gz) or Velodyne .pcap (default: the shipped HDL-32E capture)" };
        var quant = new Option<string>("--quant") { Description = "fp32, w8a8 or w8a8-smooth (scales from the input itself)", DefaultValueFactory = _ => "fp32" };
        var accelerator = new Option<string>("--accelerator") { Description = "auto, cpu or cuda (default auto)", DefaultValueFactory = _ => "auto" };
        var json = new Option<string?>("--json") { Description = "also write the results as JSON to this file" };
        var cachePath = new Option<string?>("--cache") { Description = "tuning cache file (default $KERNELGEN_CACHE or ~/.cache/kernelgen/tuning.json)" };
        var command = new Command("run", "Run a sparse network (built-in or your own description) on a scan with tuned kernels.")
        {
            model, layers, weights, input, quant, accelerator, json, cachePath,
        };
        command.SetAction(parse =>
        {
            var precision = parse.GetValue(quant) switch
            {
                "fp32" => NetworkPrecision.Fp32,
                "w8a8" => NetworkPrecision.W8A8,
                "w8a8-smooth" => NetworkPrecision.W8A8Smooth,
                var other => throw new ArgumentException($"--quant must be fp32, w8a8 or w8a8-smooth, got '{other}'"),
            };
            string? jsonPath = parse.GetValue(json);
            CliChecks.EnsureFolderExists(jsonPath, "--json");
            var network = ModelSource.Load(parse.GetValue(model)!, parse.GetValue(layers));
            var weightsByNode = parse.GetValue(weights) is { } checkpoint
                ? NetworkWeights.FromSafeTensors(network, checkpoint)
                : NetworkWeights.Synthetic(network);
            using var session = AcceleratorSession.Open(AcceleratorSession.ParseChoice(parse.GetValue(accelerator)!));
            using var runner = new NetworkRunner(session.Accelerator);
            var cache = new TuningCache(parse.GetValue(cachePath) ?? TuningCache.DefaultPath());

            var frame = Stopwatch.StartNew();
            string? path = parse.GetValue(input);
            var cloud = path is null ? ShippedScan.Read() : ScanReader.Read(path);
            var voxels = Voxelizer.Voxelize(cloud, network.Voxels).Tensor;
            if (voxels.Count == 0)
            {
                throw new ArgumentException($"{cloud.Source}: no point of the scan lies in the {network.Voxels.Name} voxel range");
            }
            double voxelizeMs = frame.Elapsed.TotalMilliseconds;
            var plan = runner.Plan(network, voxels, new KernelMapCache(new CpuKernelMapBuilder()));
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
            var warmVoxels = Voxelizer.Voxelize(cloud, network.Voxels).Tensor;
            var warmPlan = runner.Plan(network, warmVoxels);
            var warm = runner.Run(warmPlan, weightsByNode, kernels, precision);
            double frameMs = frame.Elapsed.TotalMilliseconds;

            foreach (var warning in cache.Warnings.Concat(warnings).Distinct())
            {
                output.WriteLine($"warning: {warning}");
            }
            output.WriteLine($"{network.Network.Name} on {cloud.Source}: {cloud.Count} points → {voxels.Count} voxels ({network.Voxels.Name}, {voxelizeMs:F0} ms), " +
                             $"{plan.MapsBuilt} kernel maps ({plan.MapsMs:F0} ms), {session.Description}, {parse.GetValue(quant)}");
            output.WriteLine($"{"node",-16} {"kernel",-36} {"precision",-9} {"sites out",10} {"ms",9}");
            for (int i = 0; i < plan.Nodes.Count; i++)
            {
                var node = warm.Nodes[i];
                output.WriteLine($"{node.Node,-16} {node.Kernel,-36} {node.Precision,-9} {warmPlan.Nodes[i].Map.OutputCount,10} {node.Ms,9:F2}");
            }
            output.WriteLine($"network {warm.TotalMs:F1} ms; per frame (voxelize + maps + network, warm) {frameMs:F1} ms; output {warm.Output.Count} sites × {warm.Output.Channels} channels");
            if (jsonPath is not null)
            {
                File.WriteAllText(jsonPath, JsonSerializer.Serialize(new
                {
                    model = network.Network.Name, scan = cloud.Source, voxels = voxels.Count, device = session.Description, quant = parse.GetValue(quant),
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
