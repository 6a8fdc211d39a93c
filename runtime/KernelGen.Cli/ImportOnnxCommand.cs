using System.CommandLine;
using System.Globalization;
using KernelGen.Accelerators;
using KernelGen.IO;
using KernelGen.Models;
using KernelGen.Models.Onnx;
using KernelGen.Networks;
using KernelGen.Profiles;

namespace KernelGen.Cli;

/// <summary>
/// <c>kernelgen import-onnx</c>: a backbone exported in NVIDIA's sparse-conv ONNX schema (CUDA-CenterPoint's
/// <c>centerpoint.scn.onnx</c>) read onto a description and written as a safetensors checkpoint that <c>--weights</c>
/// takes; from a PTQ export (<c>centerpoint.scn.PTQ.onnx</c>) also a quantization profile with NVIDIA's scales, measured
/// on the same calibration sample <c>kernelgen calibrate</c> decides on, so the two compare on the same scans.
/// </summary>
internal static class ImportOnnxCommand
{
    public static Command Create(TextWriter output)
    {
        var onnx = new Argument<string>("model") { Description = "the ONNX model (NVIDIA's SparseConvolution schema)" };
        var model = NetworkOptions.NewModel();
        var layers = NetworkOptions.NewLayers();
        var outPath = new Option<string>("--out") { Description = "the safetensors checkpoint to write (the description's tensor names)", Required = true };
        var profile = new Option<string?>("--profile") { Description = "from a PTQ model: also write a quantization profile with NVIDIA's scales (amax / 127, s8)" };
        var inputs = new Option<string[]>("--inputs") { Description = "with --profile: the calibration scans it is measured on (default: the shipped capture's calibration revolutions, as the main job's)", AllowMultipleArgumentsPerToken = true };
        var axisOrder = new Option<string>("--axis-order") { Description = "the graph's axis order: auto (from the first conv's spatial shape), zyx (spconv) or xyz (CUDA-CenterPoint)", DefaultValueFactory = _ => "auto" };
        var accelerator = NetworkOptions.NewAccelerator();
        var command = new Command("import-onnx", "Import a sparse backbone from NVIDIA's ONNX export (weights, and a profile from a PTQ model).")
        {
            onnx, model, layers, outPath, profile, inputs, axisOrder, accelerator,
        };
        command.SetAction(parse =>
        {
            string source = parse.GetValue(onnx)!, checkpoint = parse.GetValue(outPath)!;
            string? profilePath = parse.GetValue(profile);
            var scans = parse.GetValue(inputs) ?? [];
            if (scans.Length > 0 && profilePath is null)
            {
                throw new ArgumentException("--inputs are the scans a --profile is measured on: give --profile too");
            }
            var order = parse.GetValue(axisOrder) switch
            {
                "auto" => OnnxAxisOrder.Auto,
                "zyx" => OnnxAxisOrder.Zyx,
                "xyz" => OnnxAxisOrder.Xyz,
                var other => throw new ArgumentException($"--axis-order must be auto, zyx or xyz, got '{other}'"),
            };
            string?[] read = [source, parse.GetValue(model), parse.GetValue(layers), .. scans];
            OutputPaths.Check(checkpoint, "--out", read);
            if (profilePath is not null)
            {
                OutputPaths.Check(profilePath, "--profile", read);
                OutputPaths.Distinct((checkpoint, "--out"), (profilePath, "--profile"));
            }
            OutputPaths.RequireRegularFile(source, "ONNX model");
            var network = ModelSource.Load(parse.GetValue(model)!, parse.GetValue(layers));
            var imported = OnnxImport.Read(source, network, order);
            if (profilePath is not null && !imported.Quantized)
            {
                throw new InvalidDataException($"'{imported.Source}' carries no PTQ attributes (precision, input_dynamic_range), so there are no scales for --profile: export it with --use-quantization");
            }
            imported.WriteCheckpoint(network, checkpoint);
            // The checkpoint read back as every command reads it: what a profile is keyed to, and a check of the round trip.
            var weights = NetworkWeights.FromSafeTensors(network, checkpoint);
            output.WriteLine($"{imported.Source} ({(imported.AxisOrder == OnnxAxisOrder.Xyz ? "x, y, z axes" : "z, y, x axes")}) onto {network.Network.Name}: {imported.Convs.Count} convs; wrote {checkpoint}");
            output.WriteLine($"{"node",-16} {"onnx",-10} {"precision",-9} {"input amax",11} {"weight amax vs max|w|",22}");
            foreach (var conv in imported.Convs)
            {
                output.WriteLine($"{conv.Node,-16} {conv.OnnxNode,-10} {conv.Precision ?? "-",-9} {(conv.InputAmax is { } a ? a.ToString("G5", CultureInfo.InvariantCulture) : "-"),11} " +
                                 $"{(conv.WeightAmaxDeviation is { } d ? $"{100 * d:F2} %" : "-"),22}");
            }
            var grid = network.Voxels.SpatialShape;
            if (imported.InputGrid is { } g && (g.Z, g.Y, g.X) != (grid.Depth, grid.Height, grid.Width))
            {
                // CUDA-CenterPoint's nuScenes grid is 40 deep where spconv's CenterPoint pads it to 41: the weights are the same.
                output.WriteLine($"note: the graph was exported on a ({g.Z}, {g.Y}, {g.X}) grid, {network.Network.Name}'s voxel config gives ({grid.Depth}, {grid.Height}, {grid.Width}); the weights do not depend on it");
            }
            if (imported.Convs.Any(c => c.WeightAmaxDeviation > 0.01))
            {
                output.WriteLine("warning: NVIDIA's weight amax differs from max|w| by more than 1 % on some channels (a QAT-learned range); KernelGen quantizes each output channel by its max|w|");
            }
            if (profilePath is null)
            {
                return 0;
            }
            var set = scans.Length > 0 ? CalibrationSet.From(scans, sweeps: network.HasTimeChannel) : CalibrationSet.Of(ShippedCapture.CalibrationScans(network.HasTimeChannel));
            using var session = AcceleratorSession.Open(AcceleratorSession.ParseChoice(parse.GetValue(accelerator)!));
            using var runner = new NetworkRunner(session.Accelerator);
            var adopted = new Calibrator(runner, network, weights).Adopt(imported.Scales, imported.Source, set);
            adopted.Save(profilePath);
            var agreement = adopted.Calibration;
            output.WriteLine($"NVIDIA's scales: {adopted.Layers.Count(l => l.Int8)} of {adopted.Layers.Count} convs int8 (s8, amax / 127); on the sample {string.Join(", ", adopted.Sample)} " +
                             $"the output agrees with fp32 at worst cosine {agreement.WorstCosine:F5}, SQNR {agreement.WorstSqnrDb:F1} dB; wrote {profilePath}");
            return 0;
        });
        return command;
    }
}
