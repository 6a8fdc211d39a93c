using KernelGen.Networks;
using KernelGen.Points;
using KernelGen.Tensors;

namespace KernelGen.Cli;

/// <summary>
/// What a network command runs on: a scan it voxelizes every frame (<see cref="Cloud"/>), or a user's own voxels read
/// once from files (<see cref="Voxels"/>, already the network's input features: voxelizing them is a no-op and their
/// plan starts from them as they are).
/// </summary>
internal sealed record FrameSource(PointCloud? Cloud, SparseTensor? Voxels, string Name)
{
    /// <summary>The source of a scan.</summary>
    public static FrameSource Of(PointCloud cloud) => new(cloud, null, cloud.Source);

    /// <summary>The voxels of a frame: the scan voxelized by <paramref name="runner"/>'s voxelizer (on the device on a GPU), or the voxels read.</summary>
    public SparseTensor Voxelize(NetworkRunner runner, ValidatedNetwork network) => Cloud is { } cloud ? runner.Voxelize(network, cloud) : Voxels!;

    /// <summary>The plan of <paramref name="voxels"/>: from the voxelizer's channels, or from input features as given.</summary>
    public NetworkPlan Plan(NetworkRunner runner, ValidatedNetwork network, SparseTensor voxels) =>
        Cloud is null ? runner.PlanInput(network, voxels) : runner.Plan(network, voxels);

    /// <summary>The summary's words for the source: the scan, its sensor and scaling; or the voxel files.</summary>
    public string Describe(ValidatedNetwork network) => Cloud is { } cloud
        ? $"{cloud.Source} ({cloud.Sensor}, {cloud.DescribeScaling(network.Network.Input.IntensityMax)}): {cloud.Count} points"
        : $"{Name} ({Voxels!.Channels} channels on ({Voxels.SpatialShape.Depth}, {Voxels.SpatialShape.Height}, {Voxels.SpatialShape.Width}), batch {Voxels.BatchSize})";
}
