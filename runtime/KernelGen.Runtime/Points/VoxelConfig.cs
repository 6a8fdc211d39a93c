using KernelGen.Tensors;

namespace KernelGen.Points;

/// <summary>
/// A voxel grid over a point-cloud range [min, max) with a voxel size per axis (metres), as in CenterPoint's configs.
/// </summary>
/// <param name="Name">Preset name for reports.</param>
/// <param name="MinX">Range minimum along x (m).</param>
/// <param name="MinY">Range minimum along y (m).</param>
/// <param name="MinZ">Range minimum along z (m).</param>
/// <param name="MaxX">Range end along x (m), exclusive.</param>
/// <param name="MaxY">Range end along y (m), exclusive.</param>
/// <param name="MaxZ">Range end along z (m), exclusive.</param>
/// <param name="VoxelX">Voxel size along x (m).</param>
/// <param name="VoxelY">Voxel size along y (m).</param>
/// <param name="VoxelZ">Voxel size along z (m).</param>
/// <param name="DepthPadding">Cells added to the z extent of the sparse shape: CenterPoint's backbones use
/// <c>grid_size[::-1] + [1, 0, 0]</c>, so nuScenes' 40 z cells become a depth of 41.</param>
public sealed record VoxelConfig(
    string Name,
    double MinX, double MinY, double MinZ, double MaxX, double MaxY, double MaxZ,
    double VoxelX, double VoxelY, double VoxelZ, int DepthPadding = 1)
{
    /// <summary>CenterPoint nuScenes (voxelnet 0.075): range [-54, -54, -5, 54, 54, 3], voxel [0.075, 0.075, 0.2].</summary>
    public static VoxelConfig NuScenes { get; } = new("nusc", -54, -54, -5, 54, 54, 3, 0.075, 0.075, 0.2);

    /// <summary>CenterPoint/SECOND KITTI: range [0, -40, -3, 70.4, 40, 1], voxel [0.05, 0.05, 0.1].</summary>
    public static VoxelConfig Kitti { get; } = new("kitti", 0, -40, -3, 70.4, 40, 1, 0.05, 0.05, 0.1);

    /// <summary>"nusc" (or "nuscenes") and "kitti".</summary>
    public static VoxelConfig FromName(string name) => name.ToLowerInvariant() switch
    {
        "nusc" or "nuscenes" => NuScenes,
        "kitti" => Kitti,
        _ => throw new FormatException($"voxel config '{name}' is not one of nusc, kitti"),
    };

    /// <summary>Voxels along x.</summary>
    public int GridX => Cells(MinX, MaxX, VoxelX, "x");

    /// <summary>Voxels along y.</summary>
    public int GridY => Cells(MinY, MaxY, VoxelY, "y");

    /// <summary>Voxels along z.</summary>
    public int GridZ => Cells(MinZ, MaxZ, VoxelZ, "z");

    /// <summary>The sparse tensor's spatial shape (D, H, W) = (GridZ + DepthPadding, GridY, GridX).</summary>
    public SpatialShape SpatialShape => new(GridZ + DepthPadding, GridY, GridX);

    private static int Cells(double min, double max, double size, string axis)
    {
        if (!(size > 0) || !(max > min))
        {
            throw new ArgumentException($"voxel config axis {axis}: need max > min and a positive voxel size (min {min}, max {max}, size {size})");
        }
        return (int)Math.Round((max - min) / size);
    }
}
