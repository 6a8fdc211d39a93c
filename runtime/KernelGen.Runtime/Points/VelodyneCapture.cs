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
    /// <summary>The first sweep that begins and ends at an azimuth wrap.</summary>
    public Revolution FirstCompleteRevolution() =>
        Revolutions.FirstOrDefault(r => r.IsComplete)
        ?? throw new InvalidDataException(
            $"the capture holds no complete revolution ({Revolutions.Count} partial sweep(s) in {DataPackets} data packets)");
}
