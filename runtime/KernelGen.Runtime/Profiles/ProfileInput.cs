using KernelGen.Points;

namespace KernelGen.Profiles;

/// <summary>
/// What a profile was calibrated on: the sensors (or dataset formats) of its calibration scans and the intensity full
/// scale they were fed at, so a run on another sensor's scan can say that its scales may not hold.
/// </summary>
/// <param name="Sensors">Distinct sensors of the calibration scans, e.g. <c>Velodyne HDL-32E</c>.</param>
/// <param name="IntensityMax">The intensity full scale the network was fed (the description's, or the scans' own).</param>
public sealed record ProfileInput(IReadOnlyList<string> Sensors, double IntensityMax)
{
    /// <summary>The input of calibration scans <paramref name="clouds"/> fed at <paramref name="intensityMax"/>.</summary>
    public static ProfileInput Of(IEnumerable<PointCloud> clouds, double? intensityMax)
    {
        var list = clouds.ToList();
        return new ProfileInput(list.Select(c => c.Sensor).Distinct().Order(StringComparer.Ordinal).ToList(),
            intensityMax ?? list.Select(c => c.IntensityMax).DefaultIfEmpty(255).Max());
    }

    /// <summary>
    /// A one-line warning when <paramref name="evaluated"/> comes from a sensor the calibration never saw (int8 scales
    /// calibrated on one sensor's activations may clip or waste range on another's), else null.
    /// </summary>
    public string? WarningFor(PointCloud evaluated)
    {
        ArgumentNullException.ThrowIfNull(evaluated);
        return Sensors.Contains(evaluated.Sensor) ? null
            : $"the scan {evaluated.Source} is from {evaluated.Sensor} but the int8 scales were calibrated on {string.Join(", ", Sensors)}: " +
              $"accuracy on another sensor is not what the calibration measured; calibrate on scans of {evaluated.Sensor}";
    }

    /// <summary>Value equality over the sensors.</summary>
    public bool Equals(ProfileInput? other) => other is not null && Sensors.SequenceEqual(other.Sensors) && IntensityMax == other.IntensityMax;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Sensors.Count, IntensityMax);
}
