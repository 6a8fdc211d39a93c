using KernelGen.Models;
using KernelGen;
using System.CommandLine;
using System.Diagnostics;
using KernelGen.Accelerators;
using KernelGen.KernelMaps;
using KernelGen.Networks;
using KernelGen.Kernels;
using KernelGen.Points;
using KernelGen.Tensors;
using KernelGen.Variants;

namespace KernelGen.Cli;

/// <summary>
/// <c>kernelgen demo</c>: voxelizes a real scan, runs a network's first conv and its first strided conv (taken from the
/// description: for CenterPoint, conv_input SubM 5→16 and conv2.down 16→32 k3 s2 p1) with the generic ILGPU kernel, and
/// checks both against the double-precision reference and the two kernel-map builders against each other.
/// </summary>
internal static class DemoCommand
{
    /// <summary>Relative L2 error above which the demo fails: fp32 accumulation over ≤ 432 terms stays far below.</summary>
    private const double Tolerance = 1e-5;

    public static Command Create(TextWriter output)
    {
        var input = new Option<string?>("--input") { Description = "a KITTI .bin(.gz), nuScenes .pcd.bin or Velodyne .pcap (default: the shipped HDL-32E capture, first revolution)" };
        var pointFormat = new Option<string?>("--point-format") { Description = $"format of --input: {Points.PointFormats.Names} (default: by extension)" };
        var model = new Option<string>("--model") { Description = "network whose first convs to run: built-in (centerpoint, second) or a description .json", DefaultValueFactory = _ => "centerpoint" };
        var layers = new Option<string?>("--layers") { Description = "assembly with the description's annotated layer classes (a user's model)" };
        var accelerator = NetworkOptions.NewAccelerator();
        var command = new Command("demo", "Voxelize a real scan, run a SubM and a strided sparse conv, and check them against the reference.")
        {
            input, pointFormat, model, layers, accelerator,
        };
        command.SetAction(parse =>
        {
            var format = parse.GetValue(pointFormat) is { } name ? Points.PointFormats.FromName(name) : (Points.PointFormat?)null;
            if (format is not null && parse.GetValue(input) is null)
            {
                throw new ArgumentException("--point-format needs --input");
            }
            return Run(parse.GetValue(input), format, ModelSource.Load(parse.GetValue(model)!, parse.GetValue(layers)),
                AcceleratorSession.ParseChoice(parse.GetValue(accelerator)!), output);
        });
        return command;
    }

    private static int Run(string? inputPath, Points.PointFormat? format, ValidatedNetwork network, AcceleratorChoice choice, TextWriter output)
    {
        var clock = Stopwatch.StartNew();
        var config = network.Voxels;
        var cloud = inputPath is null ? ShippedCapture.HeldOut() : ScanReader.Read(inputPath, format);
        // The intensity is scaled to the range the description says the model was trained on; a scan with no voxel is
        // refused (a check on zero sites would pass and prove nothing).
        var voxels = Voxelizer.Voxelize(cloud.ScaledTo(network.Network.Input.IntensityMax), config);
        // (ValidatedNetwork.Voxelize is the one place that refuses a scan without voxels, with the message the other commands give.)
        var tensor = network.InputFeatures(voxels.Tensor.Count > 0 ? voxels.Tensor : network.Voxelize(cloud, config));
        output.WriteLine($"scan     {cloud.Source}: {cloud.Count} points, {voxels.PointsOutOfRange} outside the {config.Name} range, {cloud.DescribeScaling(network.Network.Input.IntensityMax)}");
        output.WriteLine($"voxels   {tensor.Count} active of grid {tensor.SpatialShape} ({config.Name}), {tensor.Channels} channels, {clock.Elapsed.TotalMilliseconds:F0} ms");

        using var session = AcceleratorSession.Open(choice);
        output.WriteLine($"device   {session.Description}");
        var cpuBuilder = new CpuKernelMapBuilder();
        var deviceBuilder = new IlgpuKernelMapBuilder(session.Accelerator);

        var random = new Random(2024);
        // The network's first conv, then its first strided conv that reads what the first one writes.
        var layers = LayerChain.Of(network, 2, layer => layer.Geometry.Kind != ConvKind.SubManifold)
            .Select(s => (Name: $"{s.Node} ({s.Shape})", s.Layer.Geometry, Cin: s.Layer.InChannels, Cout: s.Layer.OutChannels,
                // The node's conv with ReLU, run by the generic fp32 kernel through the contract.
                Kernel: LayerDescriptor.Generic(s.Node, s.Layer.Geometry, s.Layer.InChannels, s.Layer.OutChannels, Activation.Relu).GenericKernel(Precision.F32)))
            .ToList();
        bool passed = true;
        var current = tensor;
        foreach (var layer in layers)
        {
            var weights = ConvWeights.FanIn(random, layer.Cout, layer.Geometry.Kernel, layer.Cin);

            clock.Restart();
            var map = cpuBuilder.Build(current, layer.Geometry);
            double cpuMapMs = clock.Elapsed.TotalMilliseconds;
            deviceBuilder.Build(current, layer.Geometry); // first call compiles the map kernels
            clock.Restart();
            var deviceMap = deviceBuilder.Build(current, layer.Geometry);
            double deviceMapMs = clock.Elapsed.TotalMilliseconds;
            bool mapsAgree = deviceMap.OutputCoordinates.AsSpan().SequenceEqual(map.OutputCoordinates) && deviceMap.OutIn.AsSpan().SequenceEqual(map.OutIn);

            var prepared = new LayerWeights(weights);
            layer.Kernel.Run(session.Accelerator, current, map, prepared); // compile and warm up
            clock.Restart();
            var result = layer.Kernel.Run(session.Accelerator, current, map, prepared);
            double convMs = clock.Elapsed.TotalMilliseconds;
            var reference = ReferenceSparseConvolution.Run(current, map, weights, Activation.Relu);
            var error = OutputComparison.Of(result.Features, reference);
            double gmac = map.PairCount * (double)layer.Cin * layer.Cout / 1e9;
            bool ok = mapsAgree && error.RelativeL2Error <= Tolerance;
            passed &= ok;

            output.WriteLine();
            output.WriteLine($"layer    {layer.Name}");
            output.WriteLine($"  sites    {current.Count} -> {result.Count} (grid {current.SpatialShape} -> {map.OutputShape}), {map.PairCount} map pairs");
            output.WriteLine($"  map      CPU {cpuMapMs:F1} ms, ILGPU {deviceMapMs:F1} ms, identical: {(mapsAgree ? "yes" : "NO")}");
            output.WriteLine($"  conv     {convMs:F1} ms, {gmac:F3} GMAC, {gmac / (convMs / 1e3):F2} GMAC/s");
            output.WriteLine($"  error    max abs {error.MaxAbsoluteError:E2}, relative L2 {error.RelativeL2Error:E2} vs double reference (bound {Tolerance:E0}): {(ok ? "ok" : "FAILED")}");
            current = result;
        }
        output.WriteLine();
        output.WriteLine(passed ? "demo passed" : "demo FAILED");
        return passed ? 0 : CliApp.CheckFailed;
    }
}
