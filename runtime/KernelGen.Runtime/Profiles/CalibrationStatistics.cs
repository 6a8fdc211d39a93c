using System.Text.Json;
using System.Text.Json.Nodes;

namespace KernelGen.Profiles;

/// <summary>One calibration scan: its place in the whole calibration set (what shards and merges order by) and its name.</summary>
public sealed record CalibrationScan(int Index, string Name);

/// <summary>
/// The statistics of a calibration set, or of a shard of it: per int8-capable node, its input's
/// <see cref="ActivationStatistics"/>, and which scans went in. Shards merge exactly and in any order
/// (<see cref="Merge"/>), and a shard file (<see cref="Save"/>, versioned JSON) carries the network and weights hashes,
/// so statistics of another network or other weights are refused.
/// </summary>
public sealed class CalibrationStatistics
{
    /// <summary>The shard file format this version writes and reads.</summary>
    public const int Format = 1;

    private const string Kind = "kernelgen-calibration-statistics";

    /// <summary>Empty statistics for the given nodes (name → input channels).</summary>
    public CalibrationStatistics(string network, string networkHash, string weightsHash, IEnumerable<(string Node, int Channels)> nodes)
        : this(network, networkHash, weightsHash, nodes.ToDictionary(n => n.Node, n => new ActivationStatistics(n.Channels), StringComparer.Ordinal))
    {
    }

    private CalibrationStatistics(string network, string networkHash, string weightsHash, Dictionary<string, ActivationStatistics> nodes)
    {
        Network = network;
        NetworkHash = networkHash;
        WeightsHash = weightsHash;
        Nodes = nodes;
    }

    /// <summary>The network's name.</summary>
    public string Network { get; }

    /// <summary><see cref="ProfileHashes.Network"/> of the description.</summary>
    public string NetworkHash { get; }

    /// <summary><see cref="ProfileHashes.Weights"/> of the weights.</summary>
    public string WeightsHash { get; }

    /// <summary>Per node (by name) the statistics of its input.</summary>
    public IReadOnlyDictionary<string, ActivationStatistics> Nodes { get; }

    /// <summary>The scans observed, by calibration-set index.</summary>
    public IReadOnlyList<CalibrationScan> Scans => _scans;

    private readonly List<CalibrationScan> _scans = [];

    /// <summary>Adds one scan: <paramref name="inputs"/> gives each node's fp32 input features.</summary>
    public void Add(CalibrationScan scan, Func<string, ReadOnlySpan<float>> inputs)
    {
        ArgumentNullException.ThrowIfNull(scan);
        ArgumentNullException.ThrowIfNull(inputs);
        if (_scans.Any(s => s.Index == scan.Index))
        {
            throw new ArgumentException($"scan {scan.Index} ({scan.Name}) was already observed");
        }
        foreach (var (node, statistics) in Nodes)
        {
            statistics.Add(inputs(node));
        }
        _scans.Add(scan);
        _scans.Sort((a, b) => a.Index.CompareTo(b.Index));
    }

    /// <summary>Adds a shard's statistics: the same network and weights, no scan twice.</summary>
    public void Merge(CalibrationStatistics other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.NetworkHash != NetworkHash || other.WeightsHash != WeightsHash)
        {
            throw new InvalidDataException(
                $"statistics of another network or other weights cannot merge: {other.Network} {other.NetworkHash} / {other.WeightsHash} into {Network} {NetworkHash} / {WeightsHash}");
        }
        if (!other.Nodes.Keys.Order(StringComparer.Ordinal).SequenceEqual(Nodes.Keys.Order(StringComparer.Ordinal)))
        {
            throw new InvalidDataException("statistics of different node sets cannot merge");
        }
        if (other._scans.FirstOrDefault(s => _scans.Any(mine => mine.Index == s.Index)) is { } twice)
        {
            throw new InvalidDataException($"scan {twice.Index} ({twice.Name}) is in both shards");
        }
        foreach (var (node, statistics) in Nodes)
        {
            statistics.Merge(other.Nodes[node]);
        }
        _scans.AddRange(other._scans);
        _scans.Sort((a, b) => a.Index.CompareTo(b.Index));
    }

    /// <summary>Writes the statistics as a shard file.</summary>
    public void Save(string path)
    {
        var nodes = new JsonObject();
        foreach (var (name, statistics) in Nodes.OrderBy(n => n.Key, StringComparer.Ordinal))
        {
            // Each channel's histogram as the run from its first to its last non-empty bin: a few hundred numbers, not 1026.
            var channels = new JsonArray();
            for (int c = 0; c < statistics.Channels; c++)
            {
                var histogram = statistics.Histograms[c];
                int first = Array.FindIndex(histogram, n => n != 0), last = Array.FindLastIndex(histogram, n => n != 0);
                channels.Add(new JsonObject
                {
                    ["max"] = statistics.Maxima[c],
                    ["firstBin"] = Math.Max(first, 0),
                    ["counts"] = new JsonArray(first < 0 ? [] : histogram[first..(last + 1)].Select(n => (JsonNode)n).ToArray()),
                });
            }
            nodes[name] = new JsonObject { ["rows"] = statistics.Rows, ["channels"] = channels };
        }
        var root = new JsonObject
        {
            ["format"] = Format,
            ["kind"] = Kind,
            ["network"] = Network,
            ["networkHash"] = NetworkHash,
            ["weightsHash"] = WeightsHash,
            ["scans"] = new JsonArray(_scans.Select(s => (JsonNode)new JsonObject { ["index"] = s.Index, ["name"] = s.Name }).ToArray()),
            ["nodes"] = nodes,
        };
        KernelGen.IO.AtomicFile.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
    }

    /// <summary>Reads a shard file; anything malformed is an <see cref="InvalidDataException"/> naming the file and the field.</summary>
    public static CalibrationStatistics Load(string path) =>
        Parse(ProfileJson.ReadText(path, "calibration statistics"), path);

    /// <summary>Parses a shard file's text; <paramref name="source"/> names it in errors.</summary>
    public static CalibrationStatistics Parse(string text, string source)
    {
        var root = ProfileJson.Root(text, source, Kind, Format);
        var nodes = ProfileJson.Object(root, "nodes", source);
        var parsed = new Dictionary<string, ActivationStatistics>(StringComparer.Ordinal);
        foreach (var (name, value) in nodes)
        {
            string at = $"{source}: node '{name}'";
            var node = value as JsonObject ?? throw new InvalidDataException($"{at} is not an object");
            long rows = ProfileJson.Long(node, "rows", at);
            var channels = ProfileJson.Array(node, "channels", at);
            var maxima = new float[channels.Count];
            var histograms = new long[channels.Count][];
            for (int c = 0; c < channels.Count; c++)
            {
                string channelAt = $"{at} channel {c}";
                var channel = channels[c] as JsonObject ?? throw new InvalidDataException($"{channelAt} is not an object");
                maxima[c] = ProfileJson.Float(channel, "max", channelAt);
                long first = ProfileJson.Long(channel, "firstBin", channelAt);
                var counts = ProfileJson.Array(channel, "counts", channelAt);
                if (first < 0 || first + counts.Count > ActivationStatistics.BinCount)
                {
                    throw new InvalidDataException($"{channelAt}: bins {first}…{first + counts.Count - 1} are outside 0…{ActivationStatistics.BinCount - 1}");
                }
                histograms[c] = new long[ActivationStatistics.BinCount];
                for (int b = 0; b < counts.Count; b++)
                {
                    histograms[c][first + b] = ProfileJson.Long(counts[b], $"{channelAt} bin {first + b}");
                }
            }
            if (channels.Count == 0)
            {
                throw new InvalidDataException($"{at}: no channels");
            }
            parsed[name] = ActivationStatistics.From(channels.Count, rows, maxima, histograms, at);
        }
        var result = new CalibrationStatistics(
            ProfileJson.String(root, "network", source), ProfileJson.String(root, "networkHash", source), ProfileJson.String(root, "weightsHash", source), parsed);
        foreach (var scan in ProfileJson.Array(root, "scans", source))
        {
            var entry = scan as JsonObject ?? throw new InvalidDataException($"{source}: a scan entry is not an object");
            var item = new CalibrationScan((int)ProfileJson.Long(entry, "index", $"{source}: scan"), ProfileJson.String(entry, "name", $"{source}: scan"));
            if (result._scans.Any(s => s.Index == item.Index))
            {
                throw new InvalidDataException($"{source}: scan {item.Index} is listed twice");
            }
            result._scans.Add(item);
        }
        result._scans.Sort((a, b) => a.Index.CompareTo(b.Index));
        return result;
    }
}
