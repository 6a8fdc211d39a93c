namespace KernelGen.IO;

/// <summary>
/// An output folder owned by one run (the main job's <c>--out</c>, a report's folder): a lock file refuses a second run
/// on the same folder, every output is written into a staging folder inside it and moved in only when the run has
/// finished (<see cref="Commit"/>), and outputs of an earlier run that this run does not write (a profile.json beside
/// a report made with another profile) are removed — so the folder never holds files of two different runs, and an
/// interrupted run leaves the previous run's files as they were.
/// </summary>
public sealed class OwnedFolder : IDisposable
{
    private readonly FileStream _lock;
    private readonly string _staging;
    private bool _committed;

    private OwnedFolder(string path, IReadOnlyList<string> outputs, FileStream lockFile, string staging)
    {
        Path = path;
        Outputs = outputs;
        _lock = lockFile;
        _staging = staging;
    }

    /// <summary>Every file a run may write into the folder (names, no folders).</summary>
    public IReadOnlyList<string> Outputs { get; }

    /// <summary>The folder.</summary>
    public string Path { get; }

    /// <summary>
    /// Takes <paramref name="path"/> (created when missing) for this run, before any work: refused, naming
    /// <paramref name="option"/>, when it is a file, when another run holds it, or when one of <paramref name="inputs"/>
    /// is one of the <paramref name="outputs"/> this run would replace (an input may stay in the folder when this run
    /// does not write it: <paramref name="readOnly"/>).
    /// </summary>
    public static OwnedFolder Open(
        string path, IReadOnlyList<string> outputs, IEnumerable<string?> inputs, string option = "--out", IEnumerable<string>? readOnly = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(outputs);
        if (File.Exists(path))
        {
            throw new IOException($"{option}: {path} is a file; give a folder (it is created when missing)");
        }
        Directory.CreateDirectory(path);
        var spared = (readOnly ?? []).ToHashSet(StringComparer.Ordinal);
        var given = inputs.ToList();
        foreach (var name in outputs.Where(n => !spared.Contains(n)))
        {
            var output = System.IO.Path.GetFullPath(System.IO.Path.Combine(path, name));
            if (given.FirstOrDefault(i => i is not null && System.IO.Path.GetFullPath(i) == output) is { } clash)
            {
                throw new ArgumentException($"{option}: {clash} is an input of this run and would be replaced by its {name}");
            }
        }
        string lockPath = System.IO.Path.Combine(path, ".kernelgen.lock");
        FileStream lockFile;
        try
        {
            lockFile = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        catch (IOException)
        {
            throw new IOException($"{option}: {path} is being written by another run (it holds {lockPath}); give another folder or wait for it");
        }
        string staging = System.IO.Path.Combine(path, $".partial-{Environment.ProcessId}");
        if (Directory.Exists(staging))
        {
            Directory.Delete(staging, recursive: true); // a run of a process with our id that was killed: nothing of it is kept
        }
        Directory.CreateDirectory(staging);
        return new OwnedFolder(System.IO.Path.GetFullPath(path), outputs, lockFile, staging);
    }

    /// <summary>Where the run writes <paramref name="name"/> until <see cref="Commit"/>.</summary>
    public string Staged(string name) => System.IO.Path.Combine(_staging, name);

    /// <summary>Where <paramref name="name"/> ends up.</summary>
    public string Final(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>
    /// Moves every staged output into the folder (each by one rename) and removes the earlier run's outputs this run did
    /// not write — except <paramref name="keep"/> (a <c>--profile</c> that lives in the folder).
    /// </summary>
    public void Commit(string? keep = null)
    {
        foreach (var name in Outputs)
        {
            string staged = Staged(name), final = Final(name);
            if (File.Exists(staged))
            {
                File.Move(staged, final, overwrite: true);
            }
            else if (File.Exists(final) && (keep is null || System.IO.Path.GetFullPath(keep) != final))
            {
                File.Delete(final);
            }
        }
        _committed = true;
    }

    /// <summary>Releases the folder; an uncommitted run's staged files are discarded.</summary>
    public void Dispose()
    {
        try
        {
            if (Directory.Exists(_staging))
            {
                Directory.Delete(_staging, recursive: true);
            }
        }
        catch (IOException) when (!_committed)
        {
            // The run already failed and says so; the staging folder is named by the next run with this process id.
        }
        _lock.Dispose();
    }
}
