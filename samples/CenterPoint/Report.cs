using System.Globalization;
using System.Text;
using ScottPlot;

namespace KernelGen.Samples.CenterPoint.App;

/// <summary>The report: markdown table, totals and a per-layer time plot.</summary>
internal static class Report
{
    public static string Markdown(MainJobResult r)
    {
        var md = new StringBuilder();
        md.AppendLine("# CenterPoint SpMiddleResNetFHD: calibrated once, evaluated on a held-out scan");
        md.AppendLine();
        md.AppendLine($"Held-out scan {r.Scan}: {r.Voxels} voxels ({r.Config} config) on {r.Device}. Weights: {r.Weights}. " +
                      (r.ProfileLoaded ? $"Profile loaded from {r.Profile}" : $"Calibrated on {r.CalibrationScans.Count} other scans ({string.Join(", ", r.CalibrationScans.Take(4))}{(r.CalibrationScans.Count > 4 ? ", …" : "")}); profile written to {r.Profile}") +
                      $". Kernel maps {r.MapsMs:F0} ms; tuning " +
                      (r.TunedFromCache == r.Tunings ? $"from the cache ({r.Tunings} choices)" : $"{r.TuneSeconds:F0} s ({r.Tunings - r.TunedFromCache} of {r.Tunings} measured)") +
                      ". Times are per node the median of five warm runs on the held-out scan, the plans interleaved, int8 chained between int8 nodes as a user's frame runs.");
        md.AppendLine();
        md.AppendLine($"Input domain: {r.InputDomain}." + (r.ProfileLoaded ? "" : string.Create(CultureInfo.InvariantCulture, $" Calibration took {r.CalibrationSeconds:F0} s.")));
        if (r.SensorWarning is not null)
        {
            md.AppendLine();
            md.AppendLine($"**Warning:** {r.SensorWarning}.");
        }
        md.AppendLine();
        md.AppendLine("## BEV output against fp32: calibration scans and the held-out scan");
        md.AppendLine();
        md.AppendLine("| plan | int8 layers | calibration worst cosine | calibration mean cosine | calibration worst SQNR | held-out cosine | held-out SQNR | held-out ms |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var p in r.Plans)
        {
            md.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {p.Plan} | {p.Int8Layers} | {p.CalibrationWorstCosine:F5} | {p.CalibrationMeanCosine:F5} | {Db(p.CalibrationWorstSqnrDb)} | {p.HeldOut.Cosine:F5} | {Db(p.HeldOut.SqnrDb)} | {p.Ms:F0} |"));
        }
        md.AppendLine();
        md.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"Speed on the held-out scan: the policy's int8 {r.Fp32Ms / r.Int8Ms:F2}× the fp32 run; the recipe {r.Fp32Ms / r.RecipeMs:F2}×; naive W8A8 {r.Fp32Ms / r.NaiveMs:F2}×.")
            + " int8 activations are coded u8 (0…255) wherever the layer's input is a ReLU's output, s8 (−127…127) elsewhere; the recipe is NVIDIA's CenterPoint int8 recipe"
            + " (the input conv and the first residual block out of int8).");
        if (r.Ablation.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("## Ablation (held-out scan, BEV against fp32)");
            md.AppendLine();
            md.AppendLine("| step | all int8 cosine | all int8 SQNR | recipe cosine | recipe SQNR | calibration s |");
            md.AppendLine("|---|---:|---:|---:|---:|---:|");
            foreach (var a in r.Ablation)
            {
                md.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {a.Step} | {a.AllInt8.Cosine:F5} | {Db(a.AllInt8.SqnrDb)} | {a.Recipe.Cosine:F5} | {Db(a.Recipe.SqnrDb)} | {a.CalibrationSeconds:F0} |"));
            }
        }
        md.AppendLine();
        md.AppendLine($"## Precision policy ({r.Target} on the worst calibration sample scan)");
        md.AppendLine();
        md.AppendLine("| int8 layers | demoted | worst cosine | mean cosine | worst SQNR | mean SQNR | network ms (sample, default kernels) |");
        md.AppendLine("|---:|---|---:|---:|---:|---:|---:|");
        foreach (var step in r.Curve)
        {
            md.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {step.Int8Layers} | {step.Demoted ?? "—"} | {step.Agreement.WorstCosine:F5} | {step.Agreement.MeanCosine:F5} | {Db(step.Agreement.WorstSqnrDb)} | {Db(step.Agreement.MeanSqnrDb)} | {step.NetworkMs:F0} |"));
        }
        md.AppendLine();
        md.AppendLine("![policy curve](policy_curve.png)");
        md.AppendLine();
        md.AppendLine("## Per layer (held-out scan; input statistics from the calibration set)");
        md.AppendLine();
        md.AppendLine("Sensitivity: the BEV output against fp32 on the calibration sample (worst scan) with only that layer int8 — where the error enters.");
        md.AppendLine();
        md.AppendLine("| layer | kind | Cin→Cout | sites in→out | input max abs | outlier ratio (max / median channel max) | GMAC | offsets per 64-row GPU tile | fp32 variant | int8 variant | activations | policy | fp32 ms | naive ms | SmoothQuant ms | policy ms | SmoothQuant GMAC/s | naive rel. L2 | policy rel. L2 | alone int8: cosine | alone int8: SQNR | decision |");
        md.AppendLine("|---|---|---|---|---:|---:|---:|---:|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var l in r.Layers)
        {
            md.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {l.Name} | {l.Kind} | {l.InChannels}→{l.OutChannels} | {l.SitesIn}→{l.SitesOut} | {(l.InputMax > 0 ? l.InputMax.ToString("G4", CultureInfo.InvariantCulture) : "")} | {(l.OutlierRatio > 0 ? l.OutlierRatio.ToString("F1", CultureInfo.InvariantCulture) : "")} | {l.Gmac:F2} | {l.TileOffsetOccupancy:P0} | {l.Fp32Variant} | {l.Int8Variant} | {l.Activations} | {l.Precision} | {l.Fp32Ms:F1} | {l.NaiveMs:F1} | {l.SmoothMs:F1} | {l.Int8Ms:F1} | {l.Gmac * 1e3 / Math.Max(l.SmoothMs, 1e-3):F0} | {l.NaiveError.RelativeL2:P2} | {l.Int8Error.RelativeL2:P2} | {(l.Alone is { } a ? a.WorstCosine.ToString("F5", CultureInfo.InvariantCulture) : "—")} | {(l.Alone is { } b ? Db(b.WorstSqnrDb) : "—")} | {l.Decision} |"));
        }
        md.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"| **total** | | | | | | {r.Layers.Sum(l => l.Gmac):F2} | | | | | | **{r.Fp32Ms:F0}** | **{r.NaiveMs:F0}** | **{r.Layers.Sum(l => l.SmoothMs):F0}** | **{r.Int8Ms:F0}** | | | | | | |"));
        md.AppendLine();
        md.AppendLine("![per-layer times](layer_times.png)");
        return md.ToString();
    }

    private static string Db(double db) => double.IsFinite(db) ? db.ToString("F1", CultureInfo.InvariantCulture) + " dB" : "∞";

    /// <summary>The policy's speed/accuracy curve: BEV cosine to fp32 against the network time, one point per step.</summary>
    public static void PlotCurve(MainJobResult r, string path)
    {
        var plot = new Plot();
        var xs = r.Curve.Select(s => s.NetworkMs).ToArray();
        var worst = plot.Add.Scatter(xs, r.Curve.Select(s => s.Agreement.WorstCosine).ToArray());
        worst.LegendText = "worst calibration scan";
        var mean = plot.Add.Scatter(xs, r.Curve.Select(s => s.Agreement.MeanCosine).ToArray());
        mean.LegendText = "mean";
        foreach (var step in r.Curve.Where((_, i) => i == 0 || i == r.Curve.Count - 1))
        {
            plot.Add.Text($"{step.Int8Layers} int8", step.NetworkMs, step.Agreement.WorstCosine);
        }
        plot.ShowLegend(Alignment.LowerRight);
        plot.Title($"Precision policy: BEV cosine to fp32 against time ({r.Target})");
        plot.XLabel("network ms per calibration scan");
        plot.YLabel("cosine");
        plot.SavePng(path, 800, 480);
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
