using KernelGen;
using KernelGen.KernelMaps;
using KernelGen.Points;
using KernelGen.Tensors;

using KernelGen.Models.CenterPoint;
using KernelGen.Samples.CenterPoint;

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
        var path = Path.Combine(SharedFolder(), "data", "lidar", KittiFrame);
        // KITTI reflectance 0–1 scaled to the 0–255 CenterPoint's nuScenes model is fed.
        return Voxelizer.Voxelize(KittiBinReader.Read(path).ScaledTo(255), VoxelConfig.NuScenes).Tensor;
    }

    /// <summary>The input sites of each of the 21 layers (the previous layer's output sites), with the maps.</summary>
    public static List<(CenterPointLayers.Layer Layer, SparseTensor Input, KernelMap Map)> LayerInputs(SparseTensor voxels)
    {
        var cache = new KernelMapCache(new CpuKernelMapBuilder());
        var result = new List<(CenterPointLayers.Layer, SparseTensor, KernelMap)>();
        var sites = voxels;
        foreach (var layer in CenterPointLayers.All)
        {
            var map = cache.GetOrBuild(layer.IndiceKey, sites, layer.Geometry);
            result.Add((layer, sites, map));
            if (layer.Geometry.Kind == ConvKind.Sparse)
            {
                sites = new SparseTensor(new float[map.OutputCount], map.OutputCoordinates, 1, map.OutputShape, map.BatchSize);
            }
        }
        return result;
    }

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
