using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using KernelGen.Accelerators;
using KernelGen.IO;
using KernelGen.Points;
using ScottPlot;

namespace KernelGen.Samples.CenterPoint.App;

/// <summary>
/// The main job's command line: options checked before any work, the run (<see cref="MainJob"/>), and its outputs
/// written into the <c>--out</c> folder it owns. Exit codes as the CLI's: 0 done, 2 bad options or input (one line).
/// </summary>
internal static class MainJobApp
{
    // dotnet run -c Release --project samples/CenterPoint [-- --input FILE.bin|FILE.pcd.bin|FILE.pcap] [--point-format F]
    //   [--sweeps SWEEP.pcd.bin...] [--coords C.npy --features F.npy [--spatial-shape D,H,W]] [--config nusc|kitti]
    //   [--calibrate SCAN|CAPTURE|FOLDER...] [--profile PROFILE.json] [--target-cosine 0.999 | --target-sqnr 30]
    //   [--ptq none|bias,clip,gptq] [--accelerator auto|cpu|cuda] [--weights W.safetensors | --synthetic calibrated|random] [--ablation] [--json PATH] [--out DIR]
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var input = new Option<string?>("--input") { Description = "held-out scan: KITTI .bin(.gz) or Velodyne .pcap (default: the shipped HDL-32E capture, first complete revolution)" };
        var pointFormat = new Option<string?>("--point-format") { Description = $"format of --input and --sweeps ({PointFormats.Names}; default: by extension, .pcd.bin nuscenes, .bin kitti)" };
        var sweeps = new Option<string[]>("--sweeps") { Description = "earlier nuScenes sweeps (.pcd.bin, timestamped names) aggregated with --input, the time-lag channel from the names", AllowMultipleArgumentsPerToken = true };
        var coords = new Option<string?>("--coords") { Description = "instead of --input, the held-out frame as your own voxels: coordinates [N, 4] (batch, z, y, x), .npy or libspconv .tensor (with --features)" };
        var features = new Option<string?>("--features") { Description = "the held-out voxels' input features [N, 5] (x, y, z, intensity, time), float32/float16 .npy or .tensor (with --coords)" };
        var spatialShape = new Option<string?>("--spatial-shape") { Description = "with --coords: the voxel grid D,H,W (default: --config's grid)" };
        var calibrate = new Option<string[]>("--calibrate") { Description = "calibration scans, captures or folders (default: the shipped capture's other complete revolutions)", AllowMultipleArgumentsPerToken = true };
        var profile = new Option<string?>("--profile") { Description = "a quantization profile from `kernelgen calibrate` (instead of calibrating here)" };
        var targetCosine = new Option<double?>("--target-cosine") { Description = "BEV cosine to fp32 the precision policy keeps on the worst calibration scan (default 0.999)" };
        var targetSqnr = new Option<double?>("--target-sqnr") { Description = "BEV SQNR to fp32 in dB the precision policy keeps on the worst calibration scan" };
        var config = new Option<string>("--config") { Description = "voxel config: nusc or kitti (default nusc)", DefaultValueFactory = _ => "nusc" };
        var accelerator = new Option<string>("--accelerator") { Description = "auto, cpu or cuda (default auto)", DefaultValueFactory = _ => "auto" };
        var weights = new Option<string?>("--weights") { Description = "CenterPoint checkpoint as safetensors (state-dict names, spconv layout) or NVIDIA's centerpoint.scn.onnx; default: synthetic weights" };
        var synthetic = new Option<string>("--synthetic") { Description = "without --weights: synthetic weights whose BatchNorm statistics are 'calibrated' (measured on the shipped capture, as a trained model's) or 'random' (the old ones, for comparison)", DefaultValueFactory = _ => "calibrated" };
        var ptq = new Option<string>("--ptq") { Description = "calibration beyond SmoothQuant: none, or a comma-separated list of bias (bias correction), clip (clipping searched on the network output), gptq (Hessian-aware rounding), seq (each layer decided on the int8 network's own input)", DefaultValueFactory = _ => "bias" };
        var ablation = new Option<bool>("--ablation") { Description = "also decide with symmetric int8 activations everywhere (s8, the format before u8) and report s8 → u8 → + recipe side by side, with each calibration's time" };
        var json = new Option<string?>("--json") { Description = "also write the results as JSON" };
        var outFolder = new Option<string>("--out") { Description = "folder for report.md, profile.json, plots and bev.npy (default centerpoint-out)", DefaultValueFactory = _ => "centerpoint-out" };
        var cacheOption = new Option<string?>("--cache") { Description = "tuning cache file (default $KERNELGEN_CACHE or ~/.cache/kernelgen/tuning.json)" };
        var root = new RootCommand("CenterPoint's sparse 3D backbone (SpMiddleResNetFHD): calibrated on calibration scans, evaluated on a held-out scan, tuned, fp32 against int8.")
        {
            input, pointFormat, sweeps, coords, features, spatialShape, calibrate, profile, targetCosine, targetSqnr, config, accelerator, weights, synthetic, ptq, ablation, json, outFolder, cacheOption,
        };
        root.SetAction(parse =>
        {
            try
            {
                var target = KernelGen.Profiles.CalibrationTarget.Of(parse.GetValue(targetCosine), parse.GetValue(targetSqnr));
                var methods = KernelGen.Profiles.PtqMethodsOption.Parse(parse.GetValue(ptq)!);
                // Every option is honoured or refused: a loaded profile was calibrated already, a checkpoint is not synthetic.
                if (parse.GetValue(profile) is not null)
                {
                    foreach (var ignored in new Option[] { targetCosine, targetSqnr, ptq, calibrate, ablation }.Where(o => parse.GetResult(o) is { Implicit: false }))
                    {
                        throw new ArgumentException($"{ignored.Name} is a calibration setting, and --profile loads a profile calibrated already: give one or the other");
                    }
                }
                if (parse.GetValue(weights) is not null && parse.GetResult(synthetic) is { Implicit: false })
                {
                    throw new ArgumentException("give --weights (a checkpoint) or --synthetic (synthetic weights), not both");
                }
                var heldOutVoxels = HeldOutVoxels(parse, coords, features, spatialShape, [input, pointFormat, sweeps]);
                // Every output path before any work; the --out folder is this run's until it ends.
                string?[] inputs = [parse.GetValue(input), parse.GetValue(coords), parse.GetValue(features), parse.GetValue(profile), parse.GetValue(weights), .. parse.GetValue(calibrate) ?? [], .. parse.GetValue(sweeps) ?? []];
                string? jsonPath = parse.GetValue(json);
                if (jsonPath is not null)
                {
                    OutputPaths.Check(jsonPath, "--json", inputs);
                }
                // A --profile inside the folder is read, not written (this run does not calibrate): it may be the folder's own profile.json.
                using var folder = OwnedFolder.Open(parse.GetValue(outFolder)!, ["profile.json", "report.md", "bev.npy", "layer_times.png", "policy_curve.png"], inputs,
                    readOnly: parse.GetValue(profile) is null ? null : ["profile.json"]);
                if (jsonPath is not null && folder.Outputs.Any(name => Path.GetFullPath(jsonPath) == folder.Final(name)))
                {
                    throw new ArgumentException($"--json {jsonPath} is one of the --out folder's own files");
                }
                string cache = parse.GetValue(cacheOption) ?? KernelGen.Tuning.TuningCache.DefaultPath();
                var options = new MainJobOptions(parse.GetValue(input), parse.GetValue(calibrate), parse.GetValue(profile), VoxelConfig.FromName(parse.GetValue(config)!),
                    AcceleratorSession.ParseChoice(parse.GetValue(accelerator)!), parse.GetValue(pointFormat) is { } format ? PointFormats.FromName(format) : null,
                    parse.GetValue(sweeps), parse.GetValue(weights), KernelGen.Networks.SyntheticWeightsOption.Parse(parse.GetValue(synthetic)!), target, methods,
                    folder.Final("profile.json"), parse.GetValue(ablation), folder.Staged("profile.json"), cache,
                    heldOutVoxels?.Files, heldOutVoxels?.Shape);
                var (result, bev) = MainJob.Run(options, output);
                Npy.Write(folder.Staged("bev.npy"), bev, result.BevShape);
                string report = Report.Markdown(result);
                Report.Plot(result, folder.Staged("layer_times.png"));
                Report.PlotCurve(result, folder.Staged("policy_curve.png"));
                AtomicFile.WriteAllText(folder.Staged("report.md"), report);
                if (jsonPath is not null)
                {
                    AtomicFile.WriteAllText(jsonPath, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
                }
                folder.Commit(keep: parse.GetValue(profile));
                output.WriteLine(report);
                output.WriteLine($"wrote {folder.Final("report.md")}, bev.npy {string.Join('×', result.BevShape)}");
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidDataException or IOException or KeyNotFoundException or InvalidOperationException)
            {
                error.WriteLine($"centerpoint: error: {e.Message.ReplaceLineEndings(" ")}");
                return 2;
            }
        });
        return root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
    }

    /// <summary>
    /// The held-out voxel files and their grid, or null for a scan: both files or neither, never beside a scan option,
    /// and <c>--spatial-shape</c> only with them.
    /// </summary>
    private static ((string, string) Files, KernelGen.Tensors.SpatialShape? Shape)? HeldOutVoxels(
        ParseResult parse, Option<string?> coords, Option<string?> features, Option<string?> spatialShape, Option[] scanOptions)
    {
        string? c = parse.GetValue(coords), f = parse.GetValue(features), shape = parse.GetValue(spatialShape);
        if (c is null && f is null)
        {
            return shape is null ? null : throw new ArgumentException("--spatial-shape is the grid of --coords/--features voxels: give them too");
        }
        if (c is null || f is null)
        {
            throw new ArgumentException("held-out voxels need both --coords and --features");
        }
        if (scanOptions.FirstOrDefault(o => parse.GetResult(o) is { Implicit: false }) is { } scan)
        {
            throw new ArgumentException($"give a held-out scan ({scan.Name}) or voxels (--coords, --features), not both");
        }
        return ((c, f), shape is null ? null : KernelGen.Tensors.SpatialShape.Parse(shape, "--spatial-shape"));
    }
}
