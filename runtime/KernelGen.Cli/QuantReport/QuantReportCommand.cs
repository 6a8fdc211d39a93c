using System.CommandLine;
using KernelGen.Accelerators;
using KernelGen.Kernels;
using KernelGen.Networks;
using KernelGen.Points;
using KernelGen.Quantization;

namespace KernelGen.Cli.QuantReport;

/// <summary>
/// <c>kernelgen quant-report</c>: reproduces the seed study's two figures (loss against input scale, loss against
/// SmoothQuant α), answers its open question with relative errors, and goes on to a real scan through
/// the first layers of a network description (CenterPoint by default) with per-channel activation statistics and a measured mixed-precision decision.
/// </summary>
internal static class QuantReportCommand
{
    public static Command Create(TextWriter output)
    {
        var outFolder = new Option<string>("--out") { Description = "folder for report.md and its plots (default quant-report)", DefaultValueFactory = _ => "quant-report" };
        var model = new Option<string>("--model") { Description = "network whose first layers section 3 studies: built-in (centerpoint, second) or a description .json", DefaultValueFactory = _ => "centerpoint" };
        var layers = new Option<string?>("--layers") { Description = "assembly with the description's annotated layer classes (a user's model)" };
        var input = new Option<string?>("--input") { Description = "real scan for section 3: KITTI .bin(.gz) or Velodyne .pcap (default: the shipped HDL-32E capture)" };
        var accelerator = NetworkOptions.NewAccelerator();
        var budget = new Option<double>("--budget") { Description = "relative L2 error budget of the mixed-precision policy (default 0.01)", DefaultValueFactory = _ => 0.01 };
        var seed = new Option<int>("--seed") { Description = "random seed of inputs and weights (default 2024)", DefaultValueFactory = _ => 2024 };
        var sites = new Option<int>("--sites") { Description = "active sites of the synthetic experiments (default 20000)", DefaultValueFactory = _ => 20_000 };
        var command = new Command("quant-report", "Reproduce and extend the W8A8 + SmoothQuant study: tables and plots in a markdown report.")
        {
            outFolder, model, layers, input, accelerator, budget, seed, sites,
        };
        command.SetAction(parse =>
        {
            double errorBudget = parse.GetValue(budget);
            if (!(errorBudget > 0))
            {
                throw new FormatException($"--budget {errorBudget} must be positive");
            }
            var network = ModelSource.Load(parse.GetValue(model)!, parse.GetValue(layers));
            var studied = DescribedLayers.Chain(network, count: 4);
            using var session = AcceleratorSession.Open(AcceleratorSession.ParseChoice(parse.GetValue(accelerator)!));
            var experiments = new QuantExperiments(session.Accelerator);
            int randomSeed = parse.GetValue(seed);
            output.WriteLine($"quant-report on {session.Description}: synthetic experiments…");
            int syntheticSites = parse.GetValue(sites);
            if (syntheticSites is < 1 or > 1_000_000)
            {
                throw new FormatException($"--sites {syntheticSites} must be between 1 and 1000000");
            }
            var (rows, alpha, siteCount, shape) = experiments.Synthetic(randomSeed, syntheticSites);

            string? path = parse.GetValue(input);
            var cloud = path is null ? ShippedScan.Read() : ScanReader.Read(path);
            var voxels = network.InputFeatures(NetworkOptions.Voxels(cloud, network));
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
