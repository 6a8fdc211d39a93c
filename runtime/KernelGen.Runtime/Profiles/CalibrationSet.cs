using KernelGen.Points;

namespace KernelGen.Profiles;

/// <summary>
/// The scans of a calibration set, in a fixed order: every complete revolution of each <c>.pcap</c>, each KITTI
/// <c>.bin</c>/<c>.bin.gz</c>, and every such file in a folder (by name) — numbered, so shards split the set by number
/// (<see cref="Shard"/>) and the sample is the same scans on every machine (<see cref="Sample"/>). For a network whose
/// input has a time channel (CenterPoint's nuScenes model: 10 aggregated sweeps), each revolution of a capture is taken
/// with the capture's earlier revolutions as sweeps (<see cref="VelodyneCapture.Sweeps"/>), so the calibration sees
/// the input domain the model runs in.
/// </summary>
public sealed class CalibrationSet
{
    private readonly List<(CalibrationScan Scan, Func<PointCloud> Read)> _scans = [];

    /// <summary>
    /// The set from <paramref name="inputs"/> (files and folders, in the order given); with <paramref name="sweeps"/>, a
    /// capture's revolutions aggregated with their earlier ones.
    /// </summary>
    public static CalibrationSet From(IEnumerable<string> inputs, bool sweeps = false)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var set = new CalibrationSet();
        foreach (var input in inputs)
        {
            if (Directory.Exists(input))
            {
                var files = Directory.EnumerateFiles(input)
                    .Where(f => f.EndsWith(".bin", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".bin.gz", StringComparison.OrdinalIgnoreCase))
                    .Order(StringComparer.Ordinal).ToList();
                if (files.Count == 0)
                {
                    throw new ArgumentException($"{input}: the folder holds no KITTI .bin or .bin.gz scan");
                }
                foreach (var file in files)
                {
                    set.Add(Path.GetFileName(file), () => ScanReader.Read(file));
                }
            }
            else if (input.EndsWith(".pcap", StringComparison.OrdinalIgnoreCase))
            {
                var capture = VelodynePcapReader.Read(input);
                var complete = capture.Revolutions.Where(r => r.IsComplete).ToList();
                if (complete.Count == 0)
                {
                    throw new InvalidDataException($"{input}: the capture holds no complete revolution");
                }
                foreach (var revolution in complete)
                {
                    set.Add(
                        $"{Path.GetFileName(input)}#{revolution.Index}{(sweeps ? " + earlier sweeps" : "")}",
                        sweeps ? () => capture.Sweeps(revolution.Index) : () => revolution.Points);
                }
            }
            else
            {
                if (!File.Exists(input))
                {
                    throw new FileNotFoundException($"{input}: no such scan or folder");
                }
                set.Add(Path.GetFileName(input), () => ScanReader.Read(input));
            }
        }
        if (set._scans.Count == 0)
        {
            throw new ArgumentException("the calibration set is empty: give scans, captures or folders");
        }
        return set;
    }

    /// <summary>A set of scans already in memory (e.g. the revolutions of an embedded capture), in the order given.</summary>
    public static CalibrationSet Of(IEnumerable<(string Name, PointCloud Cloud)> scans)
    {
        ArgumentNullException.ThrowIfNull(scans);
        var set = new CalibrationSet();
        foreach (var (name, cloud) in scans)
        {
            set.Add(name, () => cloud);
        }
        return set._scans.Count > 0 ? set : throw new ArgumentException("the calibration set is empty");
    }

    private void Add(string name, Func<PointCloud> read) => _scans.Add((new CalibrationScan(_scans.Count, name), read));

    /// <summary>Every scan, numbered from 0.</summary>
    public IReadOnlyList<CalibrationScan> Scans => _scans.Select(s => s.Scan).ToList();

    /// <summary>Reads scan <paramref name="index"/>.</summary>
    public PointCloud Read(int index) => _scans[index].Read();

    /// <summary>Shard <paramref name="shard"/> of <paramref name="count"/>: the scans whose number is <paramref name="shard"/> mod <paramref name="count"/>.</summary>
    public IReadOnlyList<CalibrationScan> Shard(int shard, int count)
    {
        if (count < 1 || shard < 0 || shard >= count)
        {
            throw new ArgumentException($"shard {shard}/{count} does not exist: give i/n with 0 ≤ i < n");
        }
        return Scans.Where(s => s.Index % count == shard).ToList();
    }

    /// <summary>At most <paramref name="size"/> scans spread evenly over the set (the scans the decisions are made on).</summary>
    public IReadOnlyList<CalibrationScan> Sample(int size)
    {
        if (size < 1)
        {
            throw new ArgumentException($"the calibration sample needs at least one scan, got {size}");
        }
        int count = Math.Min(size, _scans.Count);
        return Enumerable.Range(0, count).Select(i => _scans[(int)((long)i * _scans.Count / count)].Scan).ToList();
    }
}
