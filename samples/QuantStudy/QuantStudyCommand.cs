using System.CommandLine;
using KernelGen.Accelerators;
using KernelGen.Models;
using KernelGen.Networks;
using KernelGen.Points;
using KernelGen.Quantization;

namespace KernelGen.Samples.QuantStudy;

/// <summary>
/// <c>dotnet run --project samples/QuantStudy</c>: reproduces the seed study's two figures (loss against input scale,
/// loss against SmoothQuant α), answers its open question with relative errors, and goes on to a real scan through the
/// first layers of a built-in network (CenterPoint by default) with per-channel activation statistics and the seed's
/// per-layer mixed-precision decision. Study code beside the main job: the product's calibration is
/// <c>kernelgen calibrate</c>, which judges the network output.
/// </summary>
internal static class QuantStudyCommand
{
    /// <summary>Exit code for bad input (options, files).</summary>
    public const int UsageError = 2;

    /// <summary>Parses <paramref name="args"/> and runs the study; bad input is one line on <paramref name="error"/> and exit 2.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var parsed = Create(output).Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var problem in parsed.Errors)
            {
                error.WriteLine($"quant-study: error: {problem.Message}");
            }
            return UsageError;
        }
        try
        {
            return parsed.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidDataException or IOException or InvalidOperationException)
        {
            error.WriteLine($"quant-study: error: {e.Message.ReplaceLineEndings(" ")}");
            return UsageError;
        }
    }

    private static RootCommand Create(TextWriter output)
    {
        var outFolder = new Option<string>("--out") { Description = "folder for report.md and its plots (default quant-study)", DefaultValueFactory = _ => "quant-study" };
        var model = new Option<string>("--model") { Description = $"built-in network whose first layers section 3 studies ({string.Join(", ", BuiltInModels.Names)})", DefaultValueFactory = _ => "centerpoint" };
        var input = new Option<string?>("--input") { Description = "real scan for section 3: KITTI .bin(.gz) or Velodyne .pcap (default: the shipped HDL-32E capture)" };
        var accelerator = new Option<string>("--accelerator") { Description = "auto, cpu or cuda (default auto)", DefaultValueFactory = _ => "auto" };
        var budget = new Option<double>("--budget") { Description = "relative L2 error budget of the per-layer mixed-precision decision (default 0.01)", DefaultValueFactory = _ => 0.01 };
        var seed = new Option<int>("--seed") { Description = "random seed of inputs and weights (default 2024)", DefaultValueFactory = _ => 2024 };
        var sites = new Option<int>("--sites") { Description = "active sites of the synthetic experiments (default 20000)", DefaultValueFactory = _ => 20_000 };
        var command = new RootCommand("The W8A8 + SmoothQuant study reproduced and extended: tables and plots in a markdown report.")
        {
            outFolder, model, input, accelerator, budget, seed, sites,
        };
        command.SetAction(parse =>
        {
            double errorBudget = parse.GetValue(budget);
            if (!(errorBudget > 0))
            {
                throw new FormatException($"--budget {errorBudget} must be positive");
            }
            int syntheticSites = parse.GetValue(sites);
            if (syntheticSites is < 1 or > 1_000_000)
            {
                throw new FormatException($"--sites {syntheticSites} must be between 1 and 1000000");
            }
            var network = BuiltInModels.Load(parse.GetValue(model)!);
            string? path = parse.GetValue(input);
            var cloud = path is null ? ShippedCapture.HeldOut() : ScanReader.Read(path);
            var voxels = network.InputFeatures(network.Voxelize(cloud));
            var studied = LayerChain.Of(network, count: 4);

            using var session = AcceleratorSession.Open(AcceleratorSession.ParseChoice(parse.GetValue(accelerator)!));
            var experiments = new QuantExperiments(session.Accelerator);
            int randomSeed = parse.GetValue(seed);
            output.WriteLine($"quant-study on {session.Description}: synthetic experiments…");
            var (rows, alpha, siteCount, shape) = experiments.Synthetic(randomSeed, syntheticSites);

            output.WriteLine($"real scan {cloud.Source}: {voxels.Count} voxels through {network.Network.Name}'s {string.Join(", ", studied.Select(s => s.Node))}…");
            var real = experiments.Real(voxels, studied, randomSeed);
            var policy = MixedPrecisionPolicy.Decide(
                real.Select(l => l.BestSmooth.RelativeL2 < l.Errors.W8A8.RelativeL2
                    ? new LayerMeasurement(l.Name, l.BestSmoothScales, l.BestSmooth)
                    : new LayerMeasurement(l.Name, l.Naive, l.Errors.W8A8)),
                errorBudget);

            var data = new QuantReportData(session.Description, siteCount, shape, rows, alpha, cloud.Source, voxels.Count, real, policy, errorBudget);
            string folder = parse.GetValue(outFolder)!;
            QuantReportWriter.Write(data, folder, output);
            output.WriteLine($"report written to {Path.GetFullPath(Path.Combine(folder, "report.md"))}");
            return 0;
        });
        return command;
    }
}
