using ILGPU;
using ILGPU.Runtime;
using KernelGen.Tensors;

namespace KernelGen.Points;

/// <summary>
/// A frame's voxels as the device voxelizer left them in the accelerator's memory, beside the host copy it returned
/// (<see cref="Host"/>): coordinates [N, 4] and the voxelizer's features [N, <see cref="Voxelizer.Channels"/>]. The
/// runner keeps them for the frame's plan and run, so the maps and the network input start from them where they are
/// instead of uploading the host copy again.
/// </summary>
internal sealed class DeviceVoxels(SparseTensor host, MemoryBuffer1D<int, Stride1D.Dense> coordinates, MemoryBuffer1D<float, Stride1D.Dense> features) : IDisposable
{
    /// <summary>The host copy the voxelizer returned: its arrays identify these voxels (nobody changes a frame's voxels).</summary>
    public SparseTensor Host { get; } = host;

    public MemoryBuffer1D<int, Stride1D.Dense> Coordinates { get; } = coordinates;

    public MemoryBuffer1D<float, Stride1D.Dense> Features { get; } = features;

    /// <summary>Whether these are the device copies of <paramref name="tensor"/>'s sites (the same coordinates array, shape and batch).</summary>
    public bool HoldsSitesOf(SparseTensor tensor) =>
        ReferenceEquals(tensor.Coordinates, Host.Coordinates) && tensor.SpatialShape == Host.SpatialShape && tensor.BatchSize == Host.BatchSize;

    /// <summary>Whether <paramref name="features"/> is the voxelizer's feature array these are the device copy of.</summary>
    public bool HoldsFeatures(float[] features) => ReferenceEquals(features, Host.Features);

    public void Dispose()
    {
        Coordinates.Dispose();
        Features.Dispose();
    }
}
