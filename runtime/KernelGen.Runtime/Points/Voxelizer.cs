using System.Runtime.CompilerServices;
using KernelGen.Tensors;

namespace KernelGen.Points;

/// <summary>The voxels of one or more scans and what happened to their points.</summary>
/// <param name="Tensor">Features [N, 5] = mean (x, y, z, intensity, time lag) of the voxel's points.</param>
/// <param name="PointsInRange">Points that landed in a voxel.</param>
/// <param name="PointsOutOfRange">Points outside the config's range, not voxelized.</param>
public sealed record VoxelizationResult(SparseTensor Tensor, long PointsInRange, long PointsOutOfRange);

/// <summary>
/// Points → voxels, as CenterPoint's nuScenes model expects: every point in [min, max) lands in voxel
/// floor((p - min) / size); a voxel's features are the mean of its points' (x, y, z, intensity, time lag) — the lag is
/// 0 for a single sweep — 5 channels. Voxels come out sorted by (batch, z, y, x).
/// </summary>
public static class Voxelizer
{
    /// <summary>Number of feature channels produced.</summary>
    public const int Channels = 5;

    /// <summary>Voxelizes one scan as batch item 0.</summary>
    public static VoxelizationResult Voxelize(PointCloud cloud, VoxelConfig config) => Voxelize([cloud], config);

    /// <summary>Voxelizes scans as batch items 0, 1, ….</summary>
    public static VoxelizationResult Voxelize(IReadOnlyList<PointCloud> clouds, VoxelConfig config)
    {
        long total = PointsOf(clouds, config);
        var shape = config.SpatialShape;
        // 1. Each point's voxel key (points outside the range dropped), the point numbered across the clouds.
        using var keyScratch = KernelMaps.ScratchArray<long>.Rent((int)total);
        using var pointScratch = KernelMaps.ScratchArray<int>.Rent((int)total);
        long[] keys = keyScratch.Array;
        int[] points = pointScratch.Array;
        var firstPoint = new int[clouds.Count + 1];
        for (int batch = 0; batch < clouds.Count; batch++)
        {
            firstPoint[batch + 1] = firstPoint[batch] + clouds[batch].Count;
        }
        int kept = 0;
        for (int batch = 0; batch < clouds.Count; batch++)
        {
            kept = KeysOf(clouds[batch], batch, firstPoint[batch], config, keys, points, kept);
        }
        // 2. Sorted by key (a radix sort): the voxels in (batch, z, y, x) order, each a run of its points.
        KernelMaps.KeySort.Sort(keys, points, kept, (long)clouds.Count * shape.CellCount - 1);
        int voxels = 0;
        for (int i = 0; i < kept; i++)
        {
            if (i == 0 || keys[i] != keys[i - 1])
            {
                voxels++;
            }
        }
        // 3. Each voxel's coordinates and the mean of its points' features.
        var coordinates = FrameArray.Uninitialized<int>(voxels * 4);
        var features = FrameArray.Uninitialized<float>(voxels * Channels);
        MeansOf(clouds, firstPoint, keys, points, kept, shape, coordinates, features);
        var tensor = new SparseTensor(features, coordinates, Channels, shape, clouds.Count);
        return new VoxelizationResult(tensor, kept, total - kept);
    }

    /// <summary>
    /// The points of <paramref name="clouds"/> in all, after the checks every voxelizer makes: at least one cloud, a
    /// config, at most int.MaxValue points (points are numbered in int32).
    /// </summary>
    internal static long PointsOf(IReadOnlyList<PointCloud> clouds, VoxelConfig config)
    {
        ArgumentNullException.ThrowIfNull(clouds);
        ArgumentNullException.ThrowIfNull(config);
        if (clouds.Count == 0)
        {
            throw new ArgumentException("need at least one point cloud", nameof(clouds));
        }
        long total = clouds.Sum(c => (long)c.Count);
        return total <= int.MaxValue ? total : throw new ArgumentException($"{total} points in one voxelization; at most {int.MaxValue}");
    }

    /// <summary>Appends the keys of <paramref name="cloud"/>'s points in range at <paramref name="kept"/>; returns the new count.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int KeysOf(PointCloud cloud, int batch, int firstPoint, VoxelConfig config, long[] keys, int[] points, int kept)
    {
        var shape = config.SpatialShape;
        int gridX = config.GridX, gridY = config.GridY, gridZ = config.GridZ;
        var xyzi = cloud.Xyzi;
        for (int p = 0; p < cloud.Count; p++)
        {
            float x = xyzi[p * 4], y = xyzi[p * 4 + 1], z = xyzi[p * 4 + 2];
            if (!float.IsFinite(x) || !float.IsFinite(y) || !float.IsFinite(z) || !float.IsFinite(xyzi[p * 4 + 3]))
            {
                throw new InvalidDataException($"{cloud.Source}: point {p} has a non-finite coordinate or intensity");
            }
            int vx = (int)Math.Floor((x - config.MinX) / config.VoxelX);
            int vy = (int)Math.Floor((y - config.MinY) / config.VoxelY);
            int vz = (int)Math.Floor((z - config.MinZ) / config.VoxelZ);
            if ((uint)vx >= (uint)gridX || (uint)vy >= (uint)gridY || (uint)vz >= (uint)gridZ)
            {
                continue;
            }
            keys[kept] = shape.Key(batch, vz, vy, vx);
            points[kept++] = firstPoint + p;
        }
        return kept;
    }

    /// <summary>Coordinates and mean features (in double, then float) of each run of equal keys.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MeansOf(
        IReadOnlyList<PointCloud> clouds, int[] firstPoint, long[] keys, int[] points, int kept, SpatialShape shape, int[] coordinates, float[] features)
    {
        Span<double> sums = stackalloc double[Channels];
        int voxel = -1, members = 0, batch = 0;
        for (int i = 0; i <= kept; i++)
        {
            if (i == kept || i == 0 || keys[i] != keys[i - 1])
            {
                if (voxel >= 0)
                {
                    for (int c = 0; c < Channels; c++)
                    {
                        features[voxel * Channels + c] = (float)(sums[c] / members);
                    }
                }
                if (i == kept)
                {
                    break;
                }
                voxel++;
                sums.Clear();
                members = 0;
                shape.DecodeKey(keys[i], coordinates.AsSpan(voxel * 4, 4));
            }
            int point = points[i];
            while (point >= firstPoint[batch + 1])
            {
                batch++;
            }
            while (point < firstPoint[batch])
            {
                batch--;
            }
            var cloud = clouds[batch];
            int local = point - firstPoint[batch];
            for (int c = 0; c < 4; c++)
            {
                sums[c] += cloud.Xyzi[local * 4 + c];
            }
            sums[4] += cloud.TimeLag?[local] ?? 0;
            members++;
        }
    }
}
