using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using KernelGen.Accelerators;
using KernelGen.IO;
using KernelGen.Points;
using KernelGen.Samples.CenterPoint.App;
using ScottPlot;

// dotnet run -c Release --project samples/CenterPoint [-- --input FILE.bin|FILE.pcap] [--config nusc|kitti]
//   [--accelerator auto|cpu|cuda] [--weights W.safetensors] [--json PATH] [--out DIR] [--budget 0.02]
var input = new Option<string?>("--input") { Description = "KITTI .bin(.gz) or Velodyne .pcap (default: the shipped HDL-32E capture, first revolution)" };
var config = new Option<string>("--config") { Description = "voxel config: nusc or kitti (default nusc)", DefaultValueFactory = _ => "nusc" };
var accelerator = new Option<string>("--accelerator") { Description = "auto, cpu or cuda (default auto)", DefaultValueFactory = _ => "auto" };
var weights = new Option<string?>("--weights") { Description = "CenterPoint checkpoint as safetensors (state-dict names, spconv layout); default: synthetic weights" };
var json = new Option<string?>("--json") { Description = "also write the results as JSON" };
var outFolder = new Option<string>("--out") { Description = "folder for report.md, plots and bev.npy (default centerpoint-out)", DefaultValueFactory = _ => "centerpoint-out" };
var budget = new Option<double>("--budget") { Description = "per-layer relative L2 budget of the mixed-precision policy (default 0.05)", DefaultValueFactory = _ => 0.05 };
var root = new RootCommand("CenterPoint's sparse 3D backbone (SpMiddleResNetFHD) on a real scan: tuned, fp32, naive W8A8 and W8A8 + SmoothQuant.")
{
    input, config, accelerator, weights, json, outFolder, budget,
};
root.SetAction(parse =>
{
    try
    {
        double errorBudget = parse.GetValue(budget);
        if (!(errorBudget > 0))
        {
            throw new FormatException($"--budget {errorBudget} must be positive");
        }
        var (result, bev) = MainJob.Run(parse.GetValue(input), VoxelConfig.FromName(parse.GetValue(config)!),
            AcceleratorSession.ParseChoice(parse.GetValue(accelerator)!), parse.GetValue(weights), errorBudget, Console.Out);
        string folder = parse.GetValue(outFolder)!;
        Directory.CreateDirectory(folder);
        Npy.Write(Path.Combine(folder, "bev.npy"), bev, result.BevShape);
        string report = Report.Markdown(result);
        Report.Plot(result, Path.Combine(folder, "layer_times.png"));
        File.WriteAllText(Path.Combine(folder, "report.md"), report);
        Console.WriteLine(report);
        if (parse.GetValue(json) is { } path)
        {
            File.WriteAllText(path, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
        }
        Console.WriteLine($"wrote {Path.GetFullPath(Path.Combine(folder, "report.md"))}, bev.npy {string.Join('×', result.BevShape)}");
        return 0;
    }
    catch (Exception e) when (e is ArgumentException or FormatException or InvalidDataException or IOException or KeyNotFoundException or InvalidOperationException)
    {
        Console.Error.WriteLine($"centerpoint: error: {e.Message}");
        return 2;
    }
});
return root.Parse(args).Invoke();

/// <summary>The report: markdown table, totals and a per-layer time plot.</summary>
internal static class Report
{
    public static string Markdown(MainJobResult r)
    {
        var md = new StringBuilder();
        md.AppendLine("# CenterPoint SpMiddleResNetFHD on a real scan");
        md.AppendLine();
        md.AppendLine($"{r.Scan}: {r.Voxels} voxels ({r.Config} config) on {r.Device}. Weights: {r.Weights}. Kernel maps {r.MapsMs:F0} ms; tuning " +
                      (r.TunedFromCache == r.Tunings ? $"from the cache ({r.Tunings} choices)" : $"{r.TuneSeconds:F0} s ({r.Tunings - r.TunedFromCache} of {r.Tunings} measured)") +
                      $". Times are the median of three warm runs. Errors are against the fp32 run, layer by layer (accumulated through the chain).");
        md.AppendLine();
        md.AppendLine("| layer | kind | Cin→Cout | sites in→out | fp32 variant | int8 variant | precision | fp32 ms | naive W8A8 ms | int8 ms | naive rel. L2 | rel. L2 | cosine |");
        md.AppendLine("|---|---|---|---|---|---|---|---:|---:|---:|---:|---:|---:|");
        foreach (var l in r.Layers)
        {
            md.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {l.Name} | {l.Kind} | {l.InChannels}→{l.OutChannels} | {l.SitesIn}→{l.SitesOut} | {l.Fp32Variant} | {l.Int8Variant} | {l.Precision} | {l.Fp32Ms:F1} | {l.NaiveMs:F1} | {l.Int8Ms:F1} | {l.NaiveError.RelativeL2:P2} | {l.Int8Error.RelativeL2:P2} | {l.Int8Error.Cosine:F5} |"));
        }
        md.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"| **total** | | | | | | | **{r.Fp32Ms:F0}** | **{r.NaiveMs:F0}** | **{r.Int8Ms:F0}** | | | |"));
        md.AppendLine();
        md.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"BEV output {string.Join(" × ", r.BevShape)}: W8A8 + SmoothQuant (policy) cosine {r.BevInt8.Cosine:F5}, SQNR {r.BevInt8.SqnrDb:F1} dB, relative L2 {r.BevInt8.RelativeL2:P2}; naive W8A8 on every int8-capable layer: cosine {r.BevNaive.Cosine:F5}, SQNR {r.BevNaive.SqnrDb:F1} dB."));
        md.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"Speed: int8 {r.Fp32Ms / r.Int8Ms:F2}× the fp32 run; naive W8A8 {r.Fp32Ms / r.NaiveMs:F2}×."));
        md.AppendLine();
        md.AppendLine(string.Create(CultureInfo.InvariantCulture, $"## Mixed-precision decisions (budget: relative L2 ≤ {r.Budget:P1} per layer, measured on this scan)"));
        md.AppendLine();
        md.AppendLine("| layer | decision |");
        md.AppendLine("|---|---|");
        foreach (var l in r.Layers)
        {
            md.AppendLine($"| {l.Name} | {l.Decision} |");
        }
        md.AppendLine();
        md.AppendLine("![per-layer times](layer_times.png)");
        return md.ToString();
    }

    public static void Plot(MainJobResult r, string path)
    {
        var plot = new Plot();
        var colors = new[] { Colors.SteelBlue, Colors.OrangeRed };
        for (int i = 0; i < r.Layers.Count; i++)
        {
            plot.Add.Bar(new Bar { Position = i - 0.2, Value = r.Layers[i].Fp32Ms, Size = 0.38, FillColor = colors[0] });
            plot.Add.Bar(new Bar { Position = i + 0.2, Value = r.Layers[i].Int8Ms, Size = 0.38, FillColor = colors[1] });
        }
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "fp32", FillColor = colors[0] });
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "W8A8 + SmoothQuant (policy)", FillColor = colors[1] });
        plot.ShowLegend(Alignment.UpperLeft);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, r.Layers.Count).Select(i => (double)i).ToArray(), r.Layers.Select(l => l.Name).ToArray());
        plot.Axes.Bottom.TickLabelStyle.Rotation = 60;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        plot.Axes.Bottom.MinimumSize = 110;
        plot.Title("Per-layer time");
        plot.YLabel("ms");
        plot.SavePng(path, 1000, 520);
    }
}
