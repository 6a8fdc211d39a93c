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
        ArgumentNullException.ThrowIfNull(clouds);
        ArgumentNullException.ThrowIfNull(config);
        if (clouds.Count == 0)
        {
            throw new ArgumentException("need at least one point cloud", nameof(clouds));
        }
        var shape = config.SpatialShape;
        int gridX = config.GridX, gridY = config.GridY, gridZ = config.GridZ;
        long total = clouds.Sum(c => (long)c.Count);
        var keys = new long[total];
        var sources = new long[total]; // cloud index << 32 | point index
        int kept = 0;
        for (int batch = 0; batch < clouds.Count; batch++)
        {
            var xyzi = clouds[batch].Xyzi;
            for (int p = 0; p < clouds[batch].Count; p++)
            {
                float x = xyzi[p * 4], y = xyzi[p * 4 + 1], z = xyzi[p * 4 + 2];
                if (!float.IsFinite(x) || !float.IsFinite(y) || !float.IsFinite(z) || !float.IsFinite(xyzi[p * 4 + 3]))
                {
                    throw new InvalidDataException($"{clouds[batch].Source}: point {p} has a non-finite coordinate or intensity");
                }
                int vx = (int)Math.Floor((x - config.MinX) / config.VoxelX);
                int vy = (int)Math.Floor((y - config.MinY) / config.VoxelY);
                int vz = (int)Math.Floor((z - config.MinZ) / config.VoxelZ);
                if ((uint)vx >= (uint)gridX || (uint)vy >= (uint)gridY || (uint)vz >= (uint)gridZ)
                {
                    continue;
                }
                keys[kept] = shape.Key(batch, vz, vy, vx);
                sources[kept] = ((long)batch << 32) | (uint)p;
                kept++;
            }
        }
        Array.Sort(keys, sources, 0, kept);

        int voxels = 0;
        for (int i = 0; i < kept; i++)
        {
            if (i == 0 || keys[i] != keys[i - 1])
            {
                voxels++;
            }
        }
        var coordinates = new int[voxels * 4];
        var features = new float[voxels * Channels];
        var sums = new double[Channels];
        int voxel = -1, members = 0;
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
                Array.Clear(sums);
                members = 0;
                shape.DecodeKey(keys[i], coordinates.AsSpan(voxel * 4, 4));
            }
            var cloud = clouds[(int)(sources[i] >> 32)];
            int point = (int)(sources[i] & 0xFFFFFFFF);
            for (int c = 0; c < 4; c++)
            {
                sums[c] += cloud.Xyzi[point * 4 + c];
            }
            sums[4] += cloud.TimeLag?[point] ?? 0;
            members++;
        }
        var tensor = new SparseTensor(features, coordinates, Channels, shape, clouds.Count);
        return new VoxelizationResult(tensor, kept, total - kept);
    }
}
