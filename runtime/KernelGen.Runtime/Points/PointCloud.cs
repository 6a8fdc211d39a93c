namespace KernelGen.Points;

/// <summary>
/// LiDAR points as float32 [N, 4] (x, y, z, intensity) in a sensor frame with x forward, y left, z up (metres),
/// KITTI's convention.
/// </summary>
public sealed class PointCloud
{
    /// <summary>Wraps <paramref name="xyzi"/> (length a multiple of 4).</summary>
    public PointCloud(float[] xyzi, string source)
    {
        ArgumentNullException.ThrowIfNull(xyzi);
        if (xyzi.Length % 4 != 0)
        {
            throw new ArgumentException($"points must be [N, 4] (x, y, z, intensity); got {xyzi.Length} values", nameof(xyzi));
        }
        Xyzi = xyzi;
        Source = source;
    }

    /// <summary>[N, 4] row-major.</summary>
    public float[] Xyzi { get; }

    /// <summary>Where the points came from (file, revolution), for reports.</summary>
    public string Source { get; }

    /// <summary>N.</summary>
    public int Count => Xyzi.Length / 4;
}
