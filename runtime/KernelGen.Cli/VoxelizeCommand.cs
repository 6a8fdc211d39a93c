using System.CommandLine;
using KernelGen.IO;
using KernelGen.Tensors;

namespace KernelGen.Cli;

/// <summary>
/// <c>kernelgen voxelize</c>: a scan voxelized exactly as <c>kernelgen run</c> voxelizes it (the description's voxel
/// config, mean of the points per voxel, the channels the network reads), written as spconv's <c>indices</c> and
/// <c>features</c> — to compare with another pipeline's voxels, or to feed the same voxels back with
/// <c>kernelgen run --coords --features</c>.
/// </summary>
internal static class VoxelizeCommand
{
    public static Command Create(TextWriter output)
    {
        var options = new NetworkOptions();
        var coordinates = new Option<string>("--out-coords") { Description = "coordinates [N, 4] as (batch, z, y, x), int32 .npy", Required = true };
        var features = new Option<string>("--out-features") { Description = "features [N, C], float32 .npy: the channels the network reads (x, y, z, intensity[, time] means)", Required = true };
        var command = new Command("voxelize", "Voxelize a scan as a network reads it and write the voxels as .npy (spconv's indices and features).")
        {
            options.Model, options.Layers, options.Input, options.PointFormat, options.Sweeps, coordinates, features,
        };
        command.SetAction(parse =>
        {
            string coordinatesPath = parse.GetValue(coordinates)!, featuresPath = parse.GetValue(features)!;
            var inputs = new[] { parse.GetValue(options.Input), parse.GetValue(options.Model), parse.GetValue(options.Layers) }.Concat(parse.GetValue(options.Sweeps) ?? []).ToList();
            OutputPaths.Check(coordinatesPath, "--out-coords", inputs);
            OutputPaths.Check(featuresPath, "--out-features", inputs);
            OutputPaths.Distinct((coordinatesPath, "--out-coords"), (featuresPath, "--out-features"));
            RequireNpy(coordinatesPath, "--out-coords");
            RequireNpy(featuresPath, "--out-features");
            var network = options.Network(parse);
            var cloud = options.Scan(parse, network);
            var voxels = network.InputFeatures(network.Voxelize(cloud));
            VoxelFiles.Write(voxels, coordinatesPath, featuresPath);
            output.WriteLine($"{cloud.Source} ({cloud.Sensor}, {cloud.DescribeScaling(network.Network.Input.IntensityMax)}): {cloud.Count} points → {voxels.Count} voxels " +
                             $"in ({voxels.SpatialShape.Depth}, {voxels.SpatialShape.Height}, {voxels.SpatialShape.Width}) ({network.Voxels.Name}), " +
                             $"{voxels.Channels} channels ({string.Join(", ", network.Network.Input.Features)}); wrote {coordinatesPath} and {featuresPath}");
            return 0;
        });
        return command;
    }

    private static void RequireNpy(string path, string option)
    {
        if (!path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"{option}: {path} must end in .npy (the voxels are written as NumPy arrays)");
        }
    }
}
