using System.Text.Json;
using System.Text.Json.Serialization;

namespace KernelGen.Tuning;

/// <summary>
/// The persistent tuning cache: human-readable JSON at <c>$KERNELGEN_CACHE</c> (default
/// <c>~/.cache/kernelgen/tuning.json</c>), one entry per <see cref="TuningKey.Text"/>. Every write re-reads the file
/// under an exclusive lock file, merges, and replaces the file atomically (temp file + rename), so concurrent tuners
/// keep each other's entries and a reader never sees half a file. A corrupt, unreadable or other-format file is a
/// warning and an empty cache, never a crash. Only a regular file (or a missing path) is ever replaced: a symbolic link
/// is followed to its target when that is a regular file or missing (the link stays a link); a directory, a device
/// node, a FIFO, or a path that cannot be written is one warning and an in-memory cache for the rest of the run.
/// </summary>
public sealed class TuningCache
{
    /// <summary>Version of the file layout; other versions are ignored (and re-tuned).</summary>
    public const int FormatVersion = 1;

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        // A file for people to read: keep "×" and "->" as they are (it is never embedded in HTML).
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    // Where writes go (the path, or a symbolic link's regular target); null once the cache is in memory only.
    private string? _target;

    /// <summary>Opens (reads) the cache at <paramref name="path"/>; problems go to <see cref="Warnings"/>.</summary>
    public TuningCache(string path)
    {
        Path = path ?? throw new ArgumentNullException(nameof(path));
        _target = WriteTarget(path, out var refusal);
        if (_target is null)
        {
            Warnings.Add($"tuning cache {path} {refusal}: keeping tuning choices in memory for this run");
            return;
        }
        foreach (var (key, entry) in Read(_target, Warnings))
        {
            _entries[key] = entry;
        }
    }

    /// <summary>Whether choices are kept in memory only (the path cannot or must not be written).</summary>
    public bool InMemoryOnly => _target is null;

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>What went wrong reading the file (the cache then starts empty).</summary>
    public List<string> Warnings { get; } = [];

    /// <summary>The default location: <c>$KERNELGEN_CACHE</c>, else the user's cache folder.</summary>
    public static string DefaultPath()
    {
        var configured = Environment.GetEnvironmentVariable("KERNELGEN_CACHE");
        if (!string.IsNullOrEmpty(configured))
        {
            return configured;
        }
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var root = !string.IsNullOrEmpty(xdg) ? xdg : System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return System.IO.Path.Combine(root, "kernelgen", "tuning.json");
    }

    /// <summary>The cached choice for <paramref name="key"/>, or null.</summary>
    public TuningResult? Find(TuningKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return _entries.TryGetValue(key.Text, out var entry)
            ? new TuningResult(key, entry.Winner, entry.Trials.Select(t => new Trial(t.Name, t.Outcome, t.MedianMs, t.Reason, t.ProbeMs)).ToList(), FromCache: true)
            : null;
    }

    /// <summary>
    /// Stores <paramref name="result"/> and writes the file (locked read-merge-write, atomic replace). A write that
    /// fails (a read-only folder, a path under a file) is one warning in <see cref="Warnings"/>, and the cache stays in
    /// memory from then on.
    /// </summary>
    public void Store(TuningResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var entry = new Entry(result.Winner, DateTimeOffset.UtcNow, result.Trials.Select(t => new TrialRecord(t.Name, t.Outcome, t.MedianMs, t.Reason, t.ProbeMs)).ToList());
        _entries[result.Key.Text] = entry;
        if (_target is not { } target)
        {
            return;
        }
        string? temp = null;
        try
        {
            var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(target))!;
            Directory.CreateDirectory(folder);
            using (AcquireLock(target + ".lock"))
            {
                // Merge what other processes wrote since we read, then put ours on top.
                var merged = Read(target, []);
                merged[result.Key.Text] = entry;
                foreach (var (key, value) in merged)
                {
                    _entries.TryAdd(key, value);
                }
                // The path may have changed kind since it was opened: check again right before replacing it.
                if (WriteTarget(target, out var refusal) is null)
                {
                    throw new IOException(refusal);
                }
                var file = new CacheFile(FormatVersion, merged);
                temp = System.IO.Path.Combine(folder, $".{System.IO.Path.GetFileName(target)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
                File.WriteAllText(temp, JsonSerializer.Serialize(file, Json));
                File.Move(temp, target, overwrite: true);
                temp = null;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _target = null;
            Warnings.Add($"tuning cache {Path} cannot be written ({e.Message}): keeping tuning choices in memory for this run");
        }
        finally
        {
            if (temp is not null)
            {
                try
                {
                    File.Delete(temp);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Nothing more to do: the warning above already says the cache is not being written.
                }
            }
        }
    }

    /// <summary>
    /// Where writes to <paramref name="path"/> may go: the path itself when it is a regular file or missing; the final
    /// target of a symbolic link when that is; null with the reason for anything else.
    /// </summary>
    private static string? WriteTarget(string path, out string? refusal)
    {
        refusal = null;
        var kind = KernelGen.IO.FileKinds.Of(path);
        if (kind == KernelGen.IO.FileKind.SymbolicLink)
        {
            var target = File.ResolveLinkTarget(path, returnFinalTarget: true)?.FullName;
            var targetKind = target is null ? KernelGen.IO.FileKind.Missing : KernelGen.IO.FileKinds.Of(target);
            if (target is not null && targetKind is KernelGen.IO.FileKind.Regular or KernelGen.IO.FileKind.Missing)
            {
                return target;
            }
            refusal = $"is a symbolic link to {Describe(targetKind)}";
            return null;
        }
        if (kind is KernelGen.IO.FileKind.Regular or KernelGen.IO.FileKind.Missing)
        {
            return path;
        }
        refusal = $"is {Describe(kind)}, not a regular file";
        return null;
    }

    private static string Describe(KernelGen.IO.FileKind kind) => kind switch
    {
        KernelGen.IO.FileKind.Directory => "a directory",
        KernelGen.IO.FileKind.Special => "a device, FIFO or socket",
        KernelGen.IO.FileKind.SymbolicLink => "another symbolic link",
        _ => kind.ToString().ToLowerInvariant(),
    };

    private static Dictionary<string, Entry> Read(string path, List<string> warnings)
    {
        if (KernelGen.IO.FileKinds.Of(path) != KernelGen.IO.FileKind.Regular)
        {
            return new(StringComparer.Ordinal);
        }
        try
        {
            var file = JsonSerializer.Deserialize<CacheFile>(File.ReadAllText(path), Json);
            if (file is null || file.Format != FormatVersion || file.Entries is null)
            {
                warnings.Add($"tuning cache {path} has format {file?.Format.ToString() ?? "none"}, expected {FormatVersion}: ignoring it and re-tuning");
                return new(StringComparer.Ordinal);
            }
            return new(file.Entries.Where(e => e.Value?.Winner is not null && e.Value.Trials is not null), StringComparer.Ordinal);
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            warnings.Add($"tuning cache {path} could not be read ({e.Message}): ignoring it and re-tuning");
            return new(StringComparer.Ordinal);
        }
    }

    private static FileStream AcquireLock(string lockPath)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException) when (attempt < 600)
            {
                Thread.Sleep(10 + Random.Shared.Next(20));
            }
        }
    }

    private sealed record CacheFile(int Format, Dictionary<string, Entry> Entries);

    private sealed record Entry(string Winner, DateTimeOffset TunedAt, List<TrialRecord> Trials);

    private sealed record TrialRecord(string Name, TrialOutcome Outcome, double? MedianMs, string? Reason, double? ProbeMs);
}
