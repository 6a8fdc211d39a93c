namespace KernelGen.Points;

/// <summary>One sweep of the sensor between two azimuth wraps.</summary>
/// <param name="Index">Position in the capture, from 0.</param>
/// <param name="Points">The returns (zero-distance returns dropped).</param>
/// <param name="IsComplete">False for the leading and trailing sweeps, which the capture cut.</param>
/// <param name="Firings">Laser firings seen (returns including empty ones, divided by lasers per firing).</param>
public sealed record Revolution(int Index, PointCloud Points, bool IsComplete, int Firings);

/// <summary>A decoded Velodyne capture.</summary>
public sealed record VelodyneCapture(
    VelodyneModel Model, int DataPackets, int OtherPackets, IReadOnlyList<Revolution> Revolutions)
{
    /// <summary>Seconds from one revolution's start to the next: the complete revolutions' mean firings × the firing period.</summary>
    public double RevolutionSeconds =>
        Revolutions.Where(r => r.IsComplete).Select(r => (double)r.Firings).DefaultIfEmpty(0).Average() * Model.FiringSeconds();

    /// <summary>
    /// Revolution <paramref name="key"/> as CenterPoint's multi-sweep input: its points with time lag 0 and the points
    /// of up to <see cref="SweepAggregation.MaxSweeps"/> − 1 earlier revolutions of the capture (the leading partial one
    /// included) with their lag behind it — (key − j) revolution periods — nearest first, skipping those
    /// <paramref name="skip"/> names (a held-out revolution must not feed a calibration input). The sensor is
    /// stationary within a capture, so the sweeps need no motion compensation.
    /// </summary>
    public PointCloud Sweeps(int key, Func<Revolution, bool>? skip = null, int maxSweeps = SweepAggregation.MaxSweeps)
    {
        var keyRevolution = Revolutions.FirstOrDefault(r => r.Index == key) ?? throw new ArgumentException($"the capture has no revolution {key}");
        double period = RevolutionSeconds;
        var earlier = Revolutions.Where(r => r.Index < key && r.Points.Count > 0 && skip?.Invoke(r) != true)
            .OrderByDescending(r => r.Index)
            .Select(r => (r.Points, (key - r.Index) * period))
            .Where(s => s.Item2 <= NuScenesBinReader.MaxTimeLagSeconds)
            .Take(Math.Max(0, maxSweeps - 1))
            .ToList();
        return SweepAggregation.Aggregate(keyRevolution.Points, earlier);
    }

    /// <summary>The first sweep that begins and ends at an azimuth wrap.</summary>
    public Revolution FirstCompleteRevolution() =>
        Revolutions.FirstOrDefault(r => r.IsComplete)
        ?? throw new InvalidDataException(
            $"the capture holds no complete revolution ({Revolutions.Count} partial sweep(s) in {DataPackets} data packets)");
}
