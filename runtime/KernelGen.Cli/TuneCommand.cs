using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using KernelGen.Accelerators;
using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Networks;
using KernelGen.Points;
using KernelGen.Tuning;
using Spectre.Console;

namespace KernelGen.Cli;

/// <summary>
/// <c>kernelgen tune</c>: tunes every node of a network — built-in by name or a user's description with its own layer
/// assembly — on a real scan, fp32 and W8A8, through the one <see cref="NetworkRunner"/>, and stores the choices in the
/// tuning cache; a second run with the same keys reuses them. Nodes that share a layer class, a kernel map (indice key)
/// and what they need (precision, residual) are tuned once, as TorchSparse++ groups them.
/// </summary>
internal static class TuneCommand
{
    public static Command Create(TextWriter output)
    {
        var options = new NetworkOptions();
        var force = new Option<bool>("--force-retune") { Description = "measure again even when the cache has the key" };
        var command = new Command("tune", "Tune every node of a network (built-in or your own description) on this device and cache the choices.") { force };
        options.AddTo(command);
        command.SetAction(parse =>
        {
            string? jsonPath = options.JsonPath(parse);
            var network = options.Network(parse);
            var source = options.Source(parse, network);
            using var session = AcceleratorSession.Open(AcceleratorSession.ParseChoice(parse.GetValue(options.Accelerator)!));
            var cache = options.OpenCache(parse);
            foreach (var warning in cache.Warnings)
            {
                output.WriteLine($"warning: {warning}");
            }
            using var runner = new NetworkRunner(session.Accelerator);
            var voxels = source.Voxelize(runner, network);
            var plan = source.Plan(runner, network, voxels);
            // fp32 for every node; W8A8 and fp16 where the network has such layers (the precisions `kernelgen run --quant` uses).
            var precisions = new[] { PrecisionPlan.F32 }
                .Concat(network.Layers.Any(l => l.HasW8A8) ? [PrecisionPlan.DynamicW8A8(smoothQuant: false)] : [])
                .Concat(network.Layers.Any(l => l.HasF16) ? [PrecisionPlan.F16] : [])
                .ToArray();
            output.WriteLine($"tuning {network.Network.Name} ({plan.Nodes.Count} nodes) on {source.Name} ({voxels.Count} voxels), {session.Description}; cache {cache.Path}");

            var tuner = new LayerTuner(session.Accelerator, cache);
            var results = new List<(PlannedNode Node, PrecisionPlan Precision, KernelChoice Choice)>();
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
            console.Progress().AutoClear(true).Start(progress =>
            {
                var bar = progress.AddTask("tuning", maxValue: plan.Nodes.Count * precisions.Length);
                foreach (var precision in precisions)
                {
                    runner.Tune(plan, precision, tuner, (node, choice) =>
                    {
                        results.Add((node, precision, choice));
                        bar.Description = $"{node.Node.Name} {precision}";
                    }, onNode: _ => bar.Increment(1), forceRetune: parse.GetValue(force));
                }
            });

            foreach (var warning in results.Select(r => r.Choice.Warning).OfType<string>())
            {
                output.WriteLine($"warning: {warning}");
            }
            foreach (var (node, _, choice) in results)
            {
                Report(output, plan, node, choice);
            }
            int cached = results.Count(r => r.Choice.Result.FromCache);
            output.WriteLine(cached == results.Count
                ? $"all {cached} choices reused from the cache (same device, versions, shapes and size buckets); --force-retune measures again"
                : $"{results.Count - cached} node groups tuned and stored, {cached} reused from the cache");
            if (jsonPath is not null)
            {
                KernelGen.IO.AtomicFile.WriteAllText(jsonPath, JsonSerializer.Serialize(results.Select(r => new
                {
                    nodes = SharingNodes(plan, r.Node), layer = r.Node.Layer.Name, precision = r.Precision.ToString(), key = r.Choice.Result.Key.Text,
                    winner = r.Choice.Result.Winner, fromCache = r.Choice.Result.FromCache,
                    trials = r.Choice.Result.Trials.Select(t => new { name = t.Name, outcome = t.Outcome.ToString(), medianMs = t.MedianMs, reason = t.Reason }),
                }), new JsonSerializerOptions { WriteIndented = true }));
            }
            return 0;
        });
        return command;
    }

    /// <summary>The nodes that share <paramref name="node"/>'s tuning: same layer class, indice key and residual use.</summary>
    private static string[] SharingNodes(NetworkPlan plan, PlannedNode node) => plan.Nodes
        .Where(n => n.Layer == node.Layer && n.Node.IndiceKey == node.Node.IndiceKey && (n.Node.Residual is null) == (node.Node.Residual is null))
        .Select(n => n.Node.Name).ToArray();

    private static void Report(TextWriter output, NetworkPlan plan, PlannedNode node, KernelChoice choice)
    {
        var result = choice.Result;
        output.WriteLine();
        var nodes = SharingNodes(plan, node);
        string label = nodes.Length == 1 ? nodes[0] : $"{nodes[0]} (+{nodes.Length - 1} sharing its map)";
        output.WriteLine($"{label} — {node.Layer.Name.Split('.')[^1]} {result.Key.Needs}, {node.InputSites.Count} sites → {node.Map.OutputCount}" +
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
            var overGeneric = result.ProbeSpeedupOver(node.Layer.GenericKernel(choice.Kernel.Capabilities.Precision).Name);
            output.WriteLine($"  winner {result.Winner}: {overSlowest:F1}× faster than the slowest ({slowest.Name})" +
                             (overGeneric is null ? "" : $", {overGeneric:F1}× faster than the generic kernel") + ", on the probe rows");
        }
    }
}
