using System.Globalization;
using System.Text.RegularExpressions;

namespace KernelGen.Points;

/// <summary>
/// Multi-sweep input as CenterPoint's nuScenes model is fed (10 sweeps, the time-lag channel): the key frame's points
/// with lag 0 and every earlier sweep's points with its lag behind the key frame, points within 1 m of the sensor
/// dropped from the earlier sweeps (the ego vehicle's own returns; det3d's <c>remove_close</c>).
/// </summary>
/// <remarks>
/// The sweeps are taken to be in the key frame's sensor frame already: no ego poses are read, so a moving vehicle's
/// earlier sweeps are not motion-compensated (give aggregated sweeps, <see cref="PointFormat.NuScenesSweeps"/>, for that).
/// </remarks>
public static partial class SweepAggregation
{
    /// <summary>det3d's radius for dropping an earlier sweep's points near the sensor.</summary>
    public const double RemoveCloseRadius = 1.0;

    /// <summary>CenterPoint's nuScenes models take the key frame and 9 earlier sweeps.</summary>
    public const int MaxSweeps = 10;

    /// <summary>The key frame plus <paramref name="sweeps"/>, each with its lag in seconds behind the key frame.</summary>
    public static PointCloud Aggregate(PointCloud key, IReadOnlyList<(PointCloud Sweep, double LagSeconds)> sweeps)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(sweeps);
        if (sweeps.Count + 1 > MaxSweeps)
        {
            throw new ArgumentException($"{sweeps.Count + 1} sweeps given; CenterPoint's nuScenes models take at most {MaxSweeps} (the key frame and {MaxSweeps - 1} earlier)");
        }
        foreach (var (sweep, lag) in sweeps)
        {
            if (!(lag > 0) || lag > NuScenesBinReader.MaxTimeLagSeconds)
            {
                throw new ArgumentException($"sweep {sweep.Source}: lag {lag:F3} s behind the key frame {key.Source}; earlier sweeps lag 0–{NuScenesBinReader.MaxTimeLagSeconds} s");
            }
            if (sweep.IntensityMax != key.IntensityMax)
            {
                throw new ArgumentException($"sweep {sweep.Source}: intensity 0–{sweep.IntensityMax} but the key frame's is 0–{key.IntensityMax}");
            }
        }
        var xyzi = new List<float>(key.Xyzi);
        var lags = new List<float>(key.TimeLag ?? new float[key.Count]);
        foreach (var (sweep, lag) in sweeps)
        {
            for (int p = 0; p < sweep.Count; p++)
            {
                float x = sweep.Xyzi[p * 4], y = sweep.Xyzi[p * 4 + 1];
                if (Math.Abs(x) < RemoveCloseRadius && Math.Abs(y) < RemoveCloseRadius)
                {
                    continue;
                }
                xyzi.AddRange(sweep.Xyzi.AsSpan(p * 4, 4));
                lags.Add((float)lag);
            }
        }
        return new PointCloud(xyzi.ToArray(), $"{key.Source} + {sweeps.Count} sweeps", key.Sensor, key.IntensityMax, lags.ToArray());
    }

    /// <summary>
    /// The key frame <paramref name="keyPath"/> and earlier sweeps <paramref name="sweepPaths"/> (nuScenes <c>.pcd.bin</c>
    /// files named <c>…__LIDAR_TOP__&lt;µs timestamp&gt;.pcd.bin</c>), lags from the timestamps in the names.
    /// </summary>
    public static PointCloud Read(string keyPath, IReadOnlyList<string> sweepPaths, PointFormat? format = null)
    {
        var key = ScanReader.Read(keyPath, format);
        long keyTime = TimestampOf(keyPath);
        var sweeps = sweepPaths.Select(path => (ScanReader.Read(path, format), (keyTime - TimestampOf(path)) / 1e6)).ToList();
        return Aggregate(key, sweeps);
    }

    /// <summary>The microsecond timestamp a nuScenes LiDAR file name ends with; a name without one is an error.</summary>
    public static long TimestampOf(string path)
    {
        var match = NuScenesName().Match(Path.GetFileName(path));
        return match.Success ? long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)
            : throw new ArgumentException($"'{Path.GetFileName(path)}': sweeps need nuScenes file names ending in __<microsecond timestamp>.pcd.bin, for their time lag");
    }

    [GeneratedRegex(@"__(\d{10,19})\.pcd\.bin$", RegexOptions.IgnoreCase)]
    private static partial Regex NuScenesName();
}
