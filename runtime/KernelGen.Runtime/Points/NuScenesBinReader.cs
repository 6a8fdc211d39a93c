using System.Buffers.Binary;

namespace KernelGen.Points;

/// <summary>
/// Reads nuScenes LiDAR points: 5 little-endian floats per point — x, y, z, intensity (0–255), and a fifth column that
/// the format names: the ring index (0–31) of a <c>.pcd.bin</c> sweep (<see cref="PointFormat.NuScenes"/>) or the time
/// lag in seconds of CUDA-CenterPoint's aggregated sweeps (<see cref="PointFormat.NuScenesSweeps"/>, float32;
/// <see cref="PointFormat.NuScenesSweepsF16"/>, float16 as NVIDIA's 3DSparseConvolution samples store them). Each
/// column is checked against its range, so a file of another format is an error, not a scan read wrong.
/// </summary>
public static class NuScenesBinReader
{
    private const int FloatsPerPoint = 5;

    /// <summary>The largest time lag accepted: CenterPoint feeds 10 sweeps at 20 Hz, under half a second.</summary>
    public const float MaxTimeLagSeconds = 1f;

    /// <summary>Parses <paramref name="bytes"/> as <paramref name="format"/> (nuScenes or nuScenes sweeps).</summary>
    public static PointCloud Parse(byte[] bytes, string name, PointFormat format)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (format is not (PointFormat.NuScenes or PointFormat.NuScenesSweeps or PointFormat.NuScenesSweepsF16))
        {
            throw new ArgumentException($"{format} is not a nuScenes point format", nameof(format));
        }
        bool half = format == PointFormat.NuScenesSweepsF16;
        bool sweeps = format != PointFormat.NuScenes;
        int size = half ? 2 : 4;
        if (bytes.Length % (FloatsPerPoint * size) != 0)
        {
            throw new InvalidDataException($"'{name}': {bytes.Length} bytes is not a multiple of {FloatsPerPoint * size} (x, y, z, intensity, {(sweeps ? "time lag" : "ring")} as {(half ? "float16" : "float32")}): truncated, or not this format (a KITTI scan has 16 bytes per point: --point-format kitti; float16 sweeps 10: nuscenes-sweeps-f16)");
        }
        int count = bytes.Length / (FloatsPerPoint * size);
        var xyzi = new float[count * 4];
        var lag = new float[count];
        for (int p = 0; p < count; p++)
        {
            for (int c = 0; c < FloatsPerPoint; c++)
            {
                int at = (p * FloatsPerPoint + c) * size;
                float value = half ? (float)BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan(at, 2)) : BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(at, 4));
                if (!float.IsFinite(value))
                {
                    throw new InvalidDataException($"'{name}': point {p} has a non-finite value {value} in column {c}");
                }
                if (c < 4)
                {
                    xyzi[p * 4 + c] = value;
                }
                if (c == 3 && value is < 0 or > 255)
                {
                    throw new InvalidDataException($"'{name}': point {p} has intensity {value}, outside nuScenes' 0–255: not a nuScenes scan?");
                }
                if (c == 4 && format == PointFormat.NuScenes && (value is < 0 or > 31 || value != MathF.Round(value)))
                {
                    throw new InvalidDataException($"'{name}': point {p} has ring index {value}, not an integer 0–31: aggregated sweeps with a time lag (--point-format nuscenes-sweeps), or a KITTI scan of 4 floats per point (--point-format kitti)?");
                }
                if (c == 4 && sweeps)
                {
                    if (value is < 0 or > MaxTimeLagSeconds)
                    {
                        throw new InvalidDataException($"'{name}': point {p} has time lag {value} s, outside 0–{MaxTimeLagSeconds} s: a single sweep with ring indices (--point-format nuscenes), or a KITTI scan of 4 floats per point (--point-format kitti)?");
                    }
                    lag[p] = value;
                }
            }
        }
        return new PointCloud(xyzi, Path.GetFileName(name), "nuScenes (HDL-32E)", intensityMax: 255, sweeps ? lag : null);
    }
}
