using KernelGen.Models;
using System.CommandLine;
using KernelGen.Networks;
using KernelGen.Points;
using KernelGen.Tuning;

namespace KernelGen.Cli;

/// <summary>
/// The options every whole-network command shares (<c>run</c>, <c>tune</c>): which network (<c>--model</c>,
/// <c>--layers</c>), which scan, which accelerator, the JSON report and the tuning cache — declared once, read once.
/// </summary>
internal sealed class NetworkOptions
{
    public Option<string> Model { get; } = NewModel();

    public Option<string?> Layers { get; } = NewLayers();

    public Option<string?> Input { get; } = new("--input") { Description = "scan: KITTI .bin(.gz), nuScenes .pcd.bin or Velodyne .pcap (default: the shipped HDL-32E capture)" };

    public Option<string?> PointFormat { get; } = new("--point-format") { Description = $"format of --input and --sweeps: {Points.PointFormats.Names} (default: by extension)" };

    public Option<string[]> Sweeps { get; } = new("--sweeps") { Description = "earlier nuScenes sweeps (.pcd.bin, timestamped names) aggregated with --input (time-lag channel)", AllowMultipleArgumentsPerToken = true };

    public Option<string?> Coordinates { get; } = new("--coords") { Description = "instead of a scan, your own voxels: coordinates [N, 4] as (batch, z, y, x), int32/int64 .npy or libspconv .tensor (with --features)" };

    public Option<string?> Features { get; } = new("--features") { Description = "the voxels' input features [N, C] (the description's channels), float32/float16 .npy or libspconv .tensor (with --coords)" };

    public Option<string?> SpatialShape { get; } = new("--spatial-shape") { Description = "with --coords: the voxel grid D,H,W (default: the description's voxel config)" };

    public Option<string> Accelerator { get; } = NewAccelerator();

    public Option<string?> Json { get; } = new("--json") { Description = "also write the results as JSON to this file" };

    public Option<string?> Cache { get; } = new("--cache") { Description = "tuning cache file (default $KERNELGEN_CACHE or ~/.cache/kernelgen/tuning.json)" };

    // The declarations the other network commands (calibrate) share, so each option reads the same everywhere.

    /// <summary><c>--model</c>: built-in name or description file.</summary>
    public static Option<string> NewModel() => new("--model") { Description = "built-in model (centerpoint, second) or a description .json", DefaultValueFactory = _ => "centerpoint" };

    /// <summary><c>--layers</c>: the assembly of a user's annotated layer classes.</summary>
    public static Option<string?> NewLayers() => new("--layers") { Description = "assembly with the description's annotated layer classes (a user's model)" };

    /// <summary><c>--weights</c>: a safetensors checkpoint (default: synthetic weights).</summary>
    public static Option<string?> NewWeights() => new("--weights") { Description = "safetensors checkpoint with the description's tensor names, or NVIDIA's sparse-conv ONNX export (.onnx) (default: synthetic weights)" };

    /// <summary><c>--accelerator</c>.</summary>
    public static Option<string> NewAccelerator() => new("--accelerator") { Description = "auto, cpu or cuda (default auto)", DefaultValueFactory = _ => "auto" };

    /// <summary><c>--synthetic</c>: which BatchNorm statistics the synthetic weights carry.</summary>
    public static Option<string> NewSynthetic() => new("--synthetic")
    {
        Description = "without --weights: synthetic weights with BatchNorm statistics 'calibrated' (measured on the shipped capture, like a trained model's) or 'random'",
        DefaultValueFactory = _ => "calibrated",
    };

    /// <summary>
    /// Refuses <c>--synthetic</c> given beside <c>--weights</c>: the checkpoint would win and the option be ignored.
    /// </summary>
    public static void CheckWeightsChoice(ParseResult parse, Option<string?> weights, Option<string> synthetic)
    {
        if (parse.GetValue(weights) is not null && parse.GetResult(synthetic) is { Implicit: false })
        {
            throw new ArgumentException("give --weights (a checkpoint) or --synthetic (synthetic weights), not both");
        }
    }

    /// <summary>
    /// The weights <c>--weights</c> names for <paramref name="network"/>, or its synthetic ones (<c>--synthetic</c>):
    /// calibrated ones measure their BatchNorm statistics on the shipped capture's revolutions after the first, in the
    /// network's voxel config, so every command and the main job make the same weights (and profiles fit them).
    /// </summary>
    public static IReadOnlyDictionary<string, Kernels.ConvWeights> Weights(ValidatedNetwork network, string? checkpoint, string synthetic, NetworkRunner runner) =>
        Models.ModelWeights.Load(network, checkpoint, SyntheticWeightsOption.Parse(synthetic), runner).Weights;

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Model, Layers, Input, PointFormat, Sweeps, Coordinates, Features, SpatialShape, Accelerator, Json, Cache })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>
    /// The <c>--json</c> path, checked before any work: its folder exists, it is not a directory, and it is none of the
    /// command's input files (the scan, the sweeps, the description, the layer assembly, the cache, and <paramref name="inputs"/>).
    /// </summary>
    public string? JsonPath(ParseResult parse, params string?[] inputs)
    {
        string? path = parse.GetValue(Json);
        if (path is not null)
        {
            var own = new[] { parse.GetValue(Input), parse.GetValue(Model), parse.GetValue(Layers), parse.GetValue(Cache), parse.GetValue(Coordinates), parse.GetValue(Features) }
                .Concat(parse.GetValue(Sweeps) ?? []).Concat(inputs);
            KernelGen.IO.OutputPaths.Check(path, "--json", own);
        }
        return path;
    }

    /// <summary>The network <c>--model</c> and <c>--layers</c> name.</summary>
    public ValidatedNetwork Network(ParseResult parse) => ModelSource.Load(parse.GetValue(Model)!, parse.GetValue(Layers));

    /// <summary>
    /// The scan (default: the shipped capture's held-out revolution — with its earlier revolution as a sweep for a
    /// <paramref name="network"/> that reads the time channel), earlier sweeps aggregated with it when given.
    /// </summary>
    public PointCloud Scan(ParseResult parse, ValidatedNetwork network)
    {
        var format = parse.GetValue(PointFormat) is { } name ? PointFormats.FromName(name) : (PointFormat?)null;
        var sweeps = parse.GetValue(Sweeps) ?? [];
        if (parse.GetValue(Input) is not { } path)
        {
            return sweeps.Length > 0 || format is not null ? throw new ArgumentException("--sweeps and --point-format need --input")
                : ShippedCapture.HeldOutScan(network.HasTimeChannel).Cloud;
        }
        return sweeps.Length > 0 ? SweepAggregation.Read(path, sweeps, format) : ScanReader.Read(path, format);
    }

    /// <summary>
    /// What the command runs on: the voxels <c>--coords</c> and <c>--features</c> name (on <c>--spatial-shape</c>, or the
    /// description's grid; their channels checked against the description's features), or the scan of <see cref="Scan"/>.
    /// A scan option beside voxel files, or one voxel file without the other, is an error.
    /// </summary>
    public FrameSource Source(ParseResult parse, ValidatedNetwork network)
    {
        string? coordinates = parse.GetValue(Coordinates), features = parse.GetValue(Features), shape = parse.GetValue(SpatialShape);
        if (coordinates is null && features is null)
        {
            return shape is not null ? throw new ArgumentException("--spatial-shape is the grid of --coords/--features voxels: give them too")
                : FrameSource.Of(Scan(parse, network));
        }
        if (coordinates is null || features is null)
        {
            throw new ArgumentException("voxels need both --coords and --features");
        }
        if (parse.GetValue(Input) is not null || parse.GetValue(Sweeps) is { Length: > 0 } || parse.GetValue(PointFormat) is not null)
        {
            throw new ArgumentException("give a scan (--input, --sweeps, --point-format) or voxels (--coords, --features), not both");
        }
        var grid = shape is null ? network.Voxels.SpatialShape : Tensors.SpatialShape.Parse(shape, "--spatial-shape");
        var voxels = network.CheckInput(Tensors.VoxelFiles.Read(coordinates, features, grid));
        return new FrameSource(null, voxels, $"{Path.GetFileName(coordinates)} + {Path.GetFileName(features)}");
    }

    /// <summary>The tuning cache <c>--cache</c> names (default: <see cref="TuningCache.DefaultPath"/>).</summary>
    public TuningCache OpenCache(ParseResult parse) => new(parse.GetValue(Cache) ?? TuningCache.DefaultPath());
}
