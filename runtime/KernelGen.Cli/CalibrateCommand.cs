using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using KernelGen.Accelerators;
using KernelGen.Networks;
using KernelGen.Points;
using KernelGen.Profiles;
using Spectre.Console;

namespace KernelGen.Cli;

/// <summary>
/// <c>kernelgen calibrate</c>: calibrates a network once on a calibration set and writes a
/// <see cref="QuantizationProfile"/> that <c>kernelgen run --profile</c> and the main job load. With <c>--shard i/n</c>
/// it writes the shard's statistics instead; <c>kernelgen calibrate merge</c> combines shard files (exactly, in any
/// order) and makes the profile from them — the same scales and decisions as one machine calibrating on every scan.
/// </summary>
internal static class CalibrateCommand
{
    private sealed class Options
    {
        public Option<string> Model { get; } = NetworkOptions.NewModel();
        public Option<string?> Layers { get; } = NetworkOptions.NewLayers();
        public Option<string?> Weights { get; } = NetworkOptions.NewWeights();
        public Option<string> Synthetic { get; } = NetworkOptions.NewSynthetic();
        public Option<string[]> Inputs { get; } = new("--inputs") { Description = "calibration scans: .pcap (every complete revolution), .bin/.bin.gz, or folders of them", Required = true, AllowMultipleArgumentsPerToken = true };
        public Option<string> Out { get; } = new("--out") { Description = "the profile (or, with --shard, the shard's statistics) to write", Required = true };
        public Option<string> Observer { get; } = new("--observer") { Description = "max, percentile, mse or auto (per layer, the best on the sample)", DefaultValueFactory = _ => "auto" };
        public Option<double?> TargetCosine { get; } = new("--target-cosine") { Description = "network output cosine to fp32 on the worst sample scan (default 0.999)" };
        public Option<double?> TargetSqnr { get; } = new("--target-sqnr") { Description = "network output SQNR to fp32 in dB on the worst sample scan" };
        public Option<int> Sample { get; } = new("--sample") { Description = "scans (spread over the set) that the scales and the precision policy are decided on", DefaultValueFactory = _ => 4 };
        public Option<string> Ptq { get; } = new("--ptq") { Description = "beyond SmoothQuant: none, or a comma-separated list of bias (bias correction), clip (clipping searched on the network output), gptq (Hessian-aware rounding), seq (each layer decided on the int8 network's own input)", DefaultValueFactory = _ => PtqMethodsOption.Format(PtqMethods.Default) };
        public Option<string> Accelerator { get; } = NetworkOptions.NewAccelerator();
        public Option<string?> Json { get; } = new("--json") { Description = "also write the summary as JSON to this file" };

        public void AddTo(Command command)
        {
            foreach (var option in new Option[] { Model, Layers, Weights, Synthetic, Inputs, Out, Observer, TargetCosine, TargetSqnr, Sample, Ptq, Accelerator, Json })
            {
                command.Options.Add(option);
            }
        }

        public ScaleObserver ObserverOf(ParseResult parse) => parse.GetValue(Observer) switch
        {
            "max" => ScaleObserver.Max,
            "percentile" => ScaleObserver.Percentile,
            "mse" => ScaleObserver.Mse,
            "auto" => ScaleObserver.Auto,
            var other => throw new ArgumentException($"--observer must be max, percentile, mse or auto, got '{other}'"),
        };

        public CalibrationTarget TargetOf(ParseResult parse) => CalibrationTarget.Of(parse.GetValue(TargetCosine), parse.GetValue(TargetSqnr));

        public PtqMethods PtqOf(ParseResult parse) => PtqMethodsOption.Parse(parse.GetValue(Ptq)!);

        public int SampleOf(ParseResult parse) => parse.GetValue(Sample) is var n and >= 1 ? n : throw new ArgumentException($"--sample must be at least 1, got {parse.GetValue(Sample)}");
    }

    public static Command Create(TextWriter output)
    {
        var options = new Options();
        var shard = new Option<string?>("--shard") { Description = "i/n: observe only scans i, i+n, … and write their statistics (merge them with `calibrate merge`)" };
        var command = new Command("calibrate", "Calibrate a network once on a calibration set and write a quantization profile (or a shard's statistics).") { shard };
        options.AddTo(command);
        command.SetAction(parse =>
        {
            // With --shard (even 0/1) the statistics are written, for `calibrate merge`; without it, the profile.
            var sharded = ParseShard(parse.GetValue(shard));
            var (shardIndex, shardCount) = sharded ?? (0, 1);
            using var job = Job.Open(options, parse);
            var scans = sharded is not null ? job.Set.Shard(shardIndex, shardCount) : job.Set.Scans;
            CalibrationStatistics statistics = null!;
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
            console.Progress().AutoClear(true).Start(progress =>
            {
                var bar = progress.AddTask("observing", maxValue: scans.Count);
                statistics = job.Calibrator.Observe(job.Set, scans, onScan: scan =>
                {
                    bar.Description = $"observing {scan.Name}";
                    bar.Increment(1);
                });
            });
            if (sharded is not null)
            {
                statistics.Save(job.OutPath);
                output.WriteLine($"shard {shardIndex}/{shardCount}: {scans.Count} of {job.Set.Scans.Count} scans observed; statistics written to {job.OutPath} (merge: kernelgen calibrate merge SHARD... --inputs … --out profile.json)");
                return 0;
            }
            job.Decide(statistics, output, console);
            return 0;
        });

        var mergeOptions = new Options();
        var files = new Argument<string[]>("shards") { Description = "shard statistics files written by calibrate --shard i/n", Arity = ArgumentArity.OneOrMore };
        var merge = new Command("merge", "Merge shard statistics (exactly, in any order) and write the profile from them.") { files };
        mergeOptions.AddTo(merge);
        merge.SetAction(parse =>
        {
            var paths = parse.GetValue(files)!;
            if (paths.FirstOrDefault(p => p.StartsWith("--", StringComparison.Ordinal)) is { } option)
            {
                throw new ArgumentException($"calibrate merge takes shard files, not {option} (each shard is written by calibrate --shard i/n)");
            }
            using var job = Job.Open(mergeOptions, parse, paths);
            var statistics = CalibrationStatistics.Load(paths[0]);
            foreach (var path in paths.Skip(1))
            {
                statistics.Merge(CalibrationStatistics.Load(path));
            }
            var expected = job.Set.Scans;
            if (!statistics.Scans.SequenceEqual(expected))
            {
                var missing = expected.Except(statistics.Scans).Select(s => $"{s.Index} ({s.Name})").Take(3).ToList();
                throw new InvalidDataException(missing.Count > 0
                    ? $"the shards do not cover the calibration set: scan {string.Join(", ", missing)}{(expected.Count - statistics.Scans.Count > 3 ? ", …" : "")} is missing"
                    : $"the shards hold scans that are not this calibration set's (give the same --inputs as the shards)");
            }
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
            job.Decide(statistics, output, console);
            return 0;
        });
        command.Subcommands.Add(merge);
        return command;
    }

    /// <summary>What both forms share: the network, weights, calibration set, runner and where the results go.</summary>
    private sealed class Job(
        CalibrationSet set, Calibrator calibrator, NetworkRunner runner, AcceleratorSession session,
        CalibrationSettings settings, string outPath, string? jsonPath) : IDisposable
    {
        public void Dispose()
        {
            runner.Dispose();
            session.Dispose();
        }

        public CalibrationSet Set => set;
        public Calibrator Calibrator => calibrator;
        public string OutPath => outPath;

        /// <summary>
        /// The job, every option and output path checked before any work: the outputs go into existing folders, are no
        /// directory and none of the inputs (the scans, the shard files <paramref name="shards"/>, the model, the
        /// weights), and not one file twice.
        /// </summary>
        public static Job Open(Options options, ParseResult parse, IReadOnlyList<string>? shards = null)
        {
            var observer = options.ObserverOf(parse);
            var target = options.TargetOf(parse);
            var methods = options.PtqOf(parse);
            int sampleSize = options.SampleOf(parse);
            NetworkOptions.CheckWeightsChoice(parse, options.Weights, options.Synthetic);
            string outPath = parse.GetValue(options.Out)!;
            string? jsonPath = parse.GetValue(options.Json);
            var inputs = InputFiles(parse.GetValue(options.Inputs)!).Concat(shards ?? [])
                .Append(parse.GetValue(options.Model)).Append(parse.GetValue(options.Layers)).Append(parse.GetValue(options.Weights)).ToList();
            KernelGen.IO.OutputPaths.Check(outPath, "--out", inputs);
            if (jsonPath is not null)
            {
                KernelGen.IO.OutputPaths.Check(jsonPath, "--json", inputs);
                KernelGen.IO.OutputPaths.Distinct((outPath, "--out"), (jsonPath, "--json"));
            }
            var network = ModelSource.Load(parse.GetValue(options.Model)!, parse.GetValue(options.Layers));
            var set = CalibrationSet.From(parse.GetValue(options.Inputs)!, sweeps: network.HasTimeChannel);
            var session = AcceleratorSession.Open(AcceleratorSession.ParseChoice(parse.GetValue(options.Accelerator)!));
            var runner = new NetworkRunner(session.Accelerator);
            var weights = NetworkOptions.Weights(network, parse.GetValue(options.Weights), parse.GetValue(options.Synthetic)!, runner);
            return new Job(set, new Calibrator(runner, network, weights), runner, session, new CalibrationSettings(observer, target, methods, sampleSize), outPath, jsonPath);
        }

        public void Decide(CalibrationStatistics statistics, TextWriter output, IAnsiConsole console)
        {
            QuantizationProfile profile = null!;
            console.Status().Start("deciding", status => profile = calibrator.Decide(statistics, set, settings, progress: text => status.Status(text)));
            profile.Save(outPath);
            Report(profile, output);
        }

        private void Report(QuantizationProfile profile, TextWriter output)
        {
            output.WriteLine($"{profile.Network}: calibrated on {profile.Scans.Count} scans, decided on {profile.Sample.Count} ({string.Join(", ", profile.Sample)}); observer {profile.Observer.ToString().ToLowerInvariant()}, ptq {PtqMethodsOption.Format(profile.Methods)}, target {profile.Target}");
            output.WriteLine($"{"node",-16} {"precision",-9} {"observer",-10} {"alpha",5} {"s_x",10} {"layer rel L2",12} {"sensitivity",11}");
            foreach (var layer in profile.Layers)
            {
                output.WriteLine($"{layer.Node,-16} {(layer.Int8 ? "int8" : "fp32"),-9} {layer.Observer?.ToString().ToLowerInvariant() ?? "",-10} {(layer.Alpha is { } a ? a.ToString("F1", CultureInfo.InvariantCulture) : ""),5} " +
                                 $"{(layer.ActivationScale is { } s ? s.ToString("G4", CultureInfo.InvariantCulture) : ""),10} {(layer.LayerRelativeL2 is { } e ? e.ToString("P2", CultureInfo.InvariantCulture) : ""),12} " +
                                 $"{(layer.Sensitivity is { } v ? v.ToString("G3", CultureInfo.InvariantCulture) : ""),11}");
            }
            output.WriteLine("policy (int8 layers → network output against fp32 on the sample, worst / mean; network time per scan):");
            foreach (var step in profile.Curve)
            {
                output.WriteLine($"  {step.Int8Layers,3} int8{(step.Demoted is { } d ? $" (demoted {d})" : ""),-26} cosine {step.Agreement.WorstCosine:F5} / {step.Agreement.MeanCosine:F5}   SQNR {step.Agreement.WorstSqnrDb:F1} / {step.Agreement.MeanSqnrDb:F1} dB   {step.NetworkMs,7:F1} ms");
            }
            output.WriteLine($"profile written to {outPath}: {profile.Layers.Count(l => l.Int8)} of {profile.Layers.Count} nodes int8");
            if (jsonPath is not null)
            {
                KernelGen.IO.AtomicFile.WriteAllText(jsonPath, JsonSerializer.Serialize(new
                {
                    network = profile.Network, scans = profile.Scans.Count, sample = profile.Sample, observer = profile.Observer.ToString().ToLowerInvariant(), ptq = PtqMethodsOption.Format(profile.Methods), target = profile.Target,
                    int8Layers = profile.Layers.Count(l => l.Int8), worstCosine = profile.Calibration.WorstCosine, meanCosine = profile.Calibration.MeanCosine,
                    worstSqnrDb = double.IsFinite(profile.Calibration.WorstSqnrDb) ? profile.Calibration.WorstSqnrDb : (double?)null,
                    curve = profile.Curve.Select(c => new { c.Int8Layers, c.Demoted, c.Agreement.WorstCosine, c.Agreement.MeanCosine, c.NetworkMs }),
                    profile = outPath,
                }, new JsonSerializerOptions { WriteIndented = true }));
            }
        }
    }

    /// <summary>The scan files <paramref name="inputs"/> name: files as given, folders' scans by name.</summary>
    private static IEnumerable<string> InputFiles(IEnumerable<string> inputs) => inputs.SelectMany(input => Directory.Exists(input)
        ? Directory.EnumerateFiles(input) : [input]);

    private static (int Index, int Count)? ParseShard(string? text)
    {
        if (text is null)
        {
            return null;
        }
        var parts = text.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int i)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1 || i >= n)
        {
            throw new ArgumentException($"--shard must be i/n with 0 ≤ i < n, got '{text}'");
        }
        return (i, n);
    }
}
