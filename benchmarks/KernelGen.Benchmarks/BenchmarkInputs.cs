using KernelGen;
using KernelGen.KernelMaps;
using KernelGen.Points;
using KernelGen.Tensors;

using KernelGen.Models;
using KernelGen.Networks;

namespace KernelGen.Benchmarks;

/// <summary>
/// The benchmark frame: the shared KITTI frame (../shared/data/lidar, never copied into the repository) voxelized with
/// CenterPoint's nuScenes config, about 59k voxels; <c>KERNELGEN_SHARED</c> points elsewhere.
/// </summary>
public static class BenchmarkInputs
{
    public const string KittiFrame = "kitti_raw_2011_09_26_drive_0079_extract_0000000000.bin.gz";

    public static SparseTensor NuScenesVoxels()
    {
        // KITTI reflectance 0–1 scaled to the 0–255 CenterPoint's nuScenes model is fed.
        return Voxelizer.Voxelize(KittiFrameCloud().ScaledTo(255), VoxelConfig.NuScenes).Tensor;
    }

    /// <summary>The shared KITTI frame's points (126,596).</summary>
    public static PointCloud KittiFrameCloud() => KittiBinReader.Read(Path.Combine(SharedFolder(), "data", "lidar", KittiFrame));

    /// <summary>The built-in CenterPoint backbone (SpMiddleResNetFHD, 21 convs).</summary>
    public static ValidatedNetwork CenterPoint { get; } = BuiltInModels.Load("centerpoint");

    /// <summary>The 21 layers planned on <paramref name="voxels"/>: each one's input sites and kernel map (host builder).</summary>
    public static IReadOnlyList<PlannedNode> LayerInputs(SparseTensor voxels) =>
        NetworkPlanner.Plan(CenterPoint, voxels, new KernelMapCache(new CpuKernelMapBuilder())).Nodes;

    private static string SharedFolder()
    {
        var configured = Environment.GetEnvironmentVariable("KERNELGEN_SHARED");
        if (!string.IsNullOrEmpty(configured))
        {
            return configured;
        }
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "shared", "data", "lidar", KittiFrame)))
                {
                    return Path.Combine(dir.FullName, "shared");
                }
            }
        }
        throw new FileNotFoundException($"{KittiFrame} not found in a shared/data/lidar folder above the working directory; set KERNELGEN_SHARED");
    }
}
