using KernelGen.Kernels;
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using KernelGen.Accelerators;
using KernelGen.KernelMaps;
using KernelGen.Points;
using KernelGen.Models.CenterPoint;
using KernelGen.Samples.CenterPoint;
using KernelGen.Tensors;
using KernelGen.Tuning;
using KernelGen.Variants;
using Spectre.Console;

namespace KernelGen.Cli;

/// <summary>
/// <c>kernelgen tune</c>: tunes every layer of the built-in model (CenterPoint's SpMiddleResNetFHD, samples/CenterPoint.Layers)
/// on a real scan, fp32 and W8A8, and stores the choices in the tuning cache; a second run with the same keys reuses them.
/// Layers that share a kernel map and a shape (the SubM convs of a stage) are tuned once, as TorchSparse++ groups them.
/// </summary>
internal static class TuneCommand
{
    public static Command Create(TextWriter output)
    {
        var input = new Option<string?>("--input") { Description = "scan to tune on: KITTI .bin(.gz) or Velodyne .pcap (default: the shipped HDL-32E capture)" };
        var accelerator = new Option<string>("--accelerator") { Description = "auto, cpu or cuda (default auto)", DefaultValueFactory = _ => "auto" };
        var force = new Option<bool>("--force-retune") { Description = "measure again even when the cache has the key" };
        var json = new Option<string?>("--json") { Description = "also write the results as JSON to this file" };
        var cachePath = new Option<string?>("--cache") { Description = "tuning cache file (default $KERNELGEN_CACHE or ~/.cache/kernelgen/tuning.json)" };
        var command = new Command("tune", "Tune every layer of the built-in CenterPoint model on this device and cache the choices.")
        {
            input, accelerator, force, json, cachePath,
        };
        command.SetAction(parse =>
        {
            string? path = parse.GetValue(input);
            var cloud = path is null ? ShippedScan.Read() : ScanReader.Read(path);
            var voxels = Voxelizer.Voxelize(cloud, VoxelConfig.NuScenes).Tensor;
            using var session = AcceleratorSession.Open(AcceleratorSession.ParseChoice(parse.GetValue(accelerator)!));
            var cache = new TuningCache(parse.GetValue(cachePath) ?? TuningCache.DefaultPath());
            foreach (var warning in cache.Warnings)
            {
                output.WriteLine($"warning: {warning}");
            }
            var jobs = CenterPointTuning.Groups(voxels);
            output.WriteLine($"tuning {jobs.Count} layer groups of CenterPoint's backbone on {cloud.Source} ({voxels.Count} voxels), {session.Description}; cache {cache.Path}");

            var tuner = new LayerTuner(session.Accelerator, cache);
            var results = new List<(TuningGroup Job, TuningResult Result)>();
            var warnings = new List<string>();
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
            console.Progress().AutoClear(true).Start(progress =>
            {
                var bar = progress.AddTask("tuning", maxValue: jobs.Count);
                foreach (var job in jobs)
                {
                    bar.Description = $"{job.Label} {job.Precision}";
                    var choice = tuner.Tune(job.Generated, job.Needs, job.Input, job.Map, parse.GetValue(force));
                    results.Add((job, choice.Result));
                    if (choice.Warning is { } warning)
                    {
                        warnings.Add(warning);
                    }
                    bar.Increment(1);
                }
            });

            foreach (var warning in warnings)
            {
                output.WriteLine($"warning: {warning}");
            }
            foreach (var (job, result) in results)
            {
                Report(output, job, result);
            }
            int cached = results.Count(r => r.Result.FromCache);
            output.WriteLine(cached == results.Count
                ? $"all {cached} choices reused from the cache (same device, versions, shapes and size buckets); --force-retune measures again"
                : $"{results.Count - cached} layer groups tuned and stored, {cached} reused from the cache");
            if (parse.GetValue(json) is { } jsonPath)
            {
                File.WriteAllText(jsonPath, JsonSerializer.Serialize(results.Select(r => new
                {
                    layers = r.Job.Label, layer = r.Job.Generated.Name, precision = r.Job.Precision.ToString(), needs = r.Job.Needs.Text, key = r.Result.Key.Text,
                    winner = r.Result.Winner, fromCache = r.Result.FromCache,
                    trials = r.Result.Trials.Select(t => new { name = t.Name, outcome = t.Outcome.ToString(), medianMs = t.MedianMs, reason = t.Reason }),
                }), new JsonSerializerOptions { WriteIndented = true }));
            }
            return 0;
        });
        return command;
    }

    private static void Report(TextWriter output, TuningGroup job, TuningResult result)
    {
        output.WriteLine();
        output.WriteLine($"{job.Label} — {job.Generated.Name.Split('.')[^1]} {job.Needs.Text}, {job.Input.Count} sites → {job.Map.OutputCount}" +
                         (result.FromCache ? "  [cached]" : ""));
        foreach (var trial in result.Trials)
        {
            string time = trial.MedianMs is { } ms ? ms.ToString("F3", CultureInfo.InvariantCulture) + " ms" : "—";
            string probe = trial.ProbeMs is { } p ? p.ToString("F3", CultureInfo.InvariantCulture) + " ms" : "—";
            string mark = trial.Name == result.Winner ? " ← winner" : "";
            output.WriteLine($"  {trial.Name,-40} {trial.Outcome,-11} median {time,12}  probe {probe,12}{mark}{(trial.Reason is null ? "" : "  " + trial.Reason)}");
        }
        // Speed-ups on the probe rows, where every probed candidate (dropped or not) was measured the same way.
        var slowest = result.SlowestProbed;
        if (slowest is not null && result.ProbeSpeedupOver(slowest.Name) is { } overSlowest)
        {
            var overGeneric = result.ProbeSpeedupOver(job.Precision == Precision.W8A8 ? GenericConvKernel.W8A8Name : GenericConvKernel.F32Name);
            output.WriteLine($"  winner {result.Winner}: {overSlowest:F1}× faster than the slowest ({slowest.Name})" +
                             (overGeneric is null ? "" : $", {overGeneric:F1}× faster than the generic kernel") + ", on the probe rows");
        }
    }
}
