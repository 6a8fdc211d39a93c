namespace KernelGen.Points;

/// <summary>
/// LiDAR points as float32 [N, 4] (x, y, z, intensity) in a sensor frame with x forward, y left, z up (metres),
/// KITTI's convention; with multi-sweep input, each point's time lag behind the key frame (seconds).
/// </summary>
public sealed class PointCloud
{
    /// <summary>Wraps <paramref name="xyzi"/> (length a multiple of 4) and, when given, <paramref name="timeLag"/> [N].</summary>
    /// <param name="xyzi">[N, 4] row-major.</param>
    /// <param name="source">Where the points came from (file, revolution), for reports.</param>
    /// <param name="sensor">What recorded them (sensor or dataset format), for reports and calibration warnings.</param>
    /// <param name="intensityMax">The intensity full scale as read (Velodyne, nuScenes: 255; KITTI reflectance: 1).</param>
    /// <param name="timeLag">[N] seconds each point lags the key frame (multi-sweep input), or null for one sweep.</param>
    public PointCloud(float[] xyzi, string source, string sensor = "unknown", double intensityMax = 255, float[]? timeLag = null)
    {
        ArgumentNullException.ThrowIfNull(xyzi);
        if (xyzi.Length % 4 != 0)
        {
            throw new ArgumentException($"points must be [N, 4] (x, y, z, intensity); got {xyzi.Length} values", nameof(xyzi));
        }
        if (timeLag is not null && timeLag.Length != xyzi.Length / 4)
        {
            throw new ArgumentException($"{timeLag.Length} time lags for {xyzi.Length / 4} points", nameof(timeLag));
        }
        if (!(intensityMax > 0) || !double.IsFinite(intensityMax))
        {
            throw new ArgumentOutOfRangeException(nameof(intensityMax), intensityMax, "the intensity full scale must be positive");
        }
        Xyzi = xyzi;
        Source = source;
        Sensor = sensor;
        IntensityMax = intensityMax;
        TimeLag = timeLag;
    }

    /// <summary>[N, 4] row-major.</summary>
    public float[] Xyzi { get; }

    /// <summary>Where the points came from (file, revolution), for reports.</summary>
    public string Source { get; }

    /// <summary>What recorded them, e.g. <c>Velodyne HDL-32E</c>, <c>KITTI (HDL-64E)</c>, <c>nuScenes (HDL-32E)</c>.</summary>
    public string Sensor { get; }

    /// <summary>The intensity full scale of <see cref="Xyzi"/>'s fourth column.</summary>
    public double IntensityMax { get; }

    /// <summary>Per point, seconds behind the key frame (multi-sweep input), or null (one sweep: lag 0).</summary>
    public float[]? TimeLag { get; }

    /// <summary>N.</summary>
    public int Count => Xyzi.Length / 4;

    /// <summary>
    /// The cloud with its intensities rescaled to the full scale <paramref name="intensityMax"/> a model expects
    /// (the same cloud when it already has it, or when the model does not say: null).
    /// </summary>
    public PointCloud ScaledTo(double? intensityMax)
    {
        if (intensityMax is not { } target || target == IntensityMax)
        {
            return this;
        }
        var scaled = (float[])Xyzi.Clone();
        float factor = (float)(target / IntensityMax);
        for (int p = 0; p < Count; p++)
        {
            scaled[p * 4 + 3] *= factor;
        }
        return new PointCloud(scaled, Source, Sensor, target, TimeLag);
    }

    /// <summary>How the run summary states the input scaling for a model expecting <paramref name="intensityMax"/>.</summary>
    public string DescribeScaling(double? intensityMax) => intensityMax switch
    {
        null => $"intensity 0–{IntensityMax:G4} as read (the description states no range)",
        { } target when target == IntensityMax => $"intensity 0–{IntensityMax:G4}, as the model expects",
        { } target => $"intensity 0–{IntensityMax:G4} scaled to the model's 0–{target:G4}",
    };
}
