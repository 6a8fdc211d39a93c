namespace KernelGen.IO;

/// <summary>
/// The checks made on a path before anything is read from or written to it, so a bad path fails in a second — not after
/// minutes of calibration — with a message that says what the path is: an output must go into an existing folder, must
/// not be a directory, a FIFO or a device, and must not be one of the command's inputs (which it would destroy); an
/// input must be a regular file (a FIFO with no writer would block forever).
/// </summary>
public static class OutputPaths
{
    /// <summary>
    /// Throws, naming <paramref name="option"/>, unless <paramref name="path"/> can be written as an output file: its
    /// folder exists, it is missing or a regular file (or a link to one), and it is none of <paramref name="inputs"/>.
    /// </summary>
    public static void Check(string path, string option, IEnumerable<string?>? inputs = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0)
        {
            throw new ArgumentException($"{option}: the path is empty");
        }
        string full = Path.GetFullPath(path);
        if (Path.GetDirectoryName(full) is { } folder && !Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"{option}: folder {folder} does not exist");
        }
        var kind = KindFollowingLinks(full);
        if (kind == FileKind.Directory)
        {
            throw new IOException($"{option}: {path} is a directory; give a file path");
        }
        if (kind == FileKind.Special)
        {
            throw new IOException($"{option}: {path} is a FIFO, device or socket, not a regular file");
        }
        foreach (var input in inputs ?? [])
        {
            if (input is not null && SameFile(full, input))
            {
                throw new ArgumentException($"{option}: {path} is also an input of this command; writing it would destroy the input");
            }
        }
    }

    /// <summary>Throws, naming both options, when two of <paramref name="outputs"/> are the same file.</summary>
    public static void Distinct(params (string? Path, string Option)[] outputs)
    {
        var given = outputs.Where(o => o.Path is not null).ToList();
        for (int i = 0; i < given.Count; i++)
        {
            for (int j = i + 1; j < given.Count; j++)
            {
                if (SameFile(Path.GetFullPath(given[i].Path!), given[j].Path!))
                {
                    throw new ArgumentException($"{given[i].Option} and {given[j].Option} name the same file {given[i].Path}; one would overwrite the other");
                }
            }
        }
    }

    /// <summary>
    /// Throws unless <paramref name="path"/> is a regular file that can be read (following links): a missing file, a
    /// directory, or a FIFO, device or socket is an error naming <paramref name="what"/>.
    /// </summary>
    public static void RequireRegularFile(string path, string what)
    {
        ArgumentNullException.ThrowIfNull(path);
        switch (KindFollowingLinks(Path.GetFullPath(path)))
        {
            case FileKind.Missing:
                throw new IOException($"cannot read {what} '{path}': no such file");
            case FileKind.Directory:
                throw new IOException($"cannot read {what} '{path}': it is a directory, not a file");
            case FileKind.Special:
                throw new IOException($"cannot read {what} '{path}': it is a FIFO, device or socket, not a regular file");
        }
    }

    /// <summary>Where a write to <paramref name="path"/> goes: the path, or the regular file a symbolic link names.</summary>
    internal static string WritableTarget(string path)
    {
        string full = Path.GetFullPath(path);
        for (int hops = 0; hops < 40 && FileKinds.Of(full) == FileKind.SymbolicLink; hops++)
        {
            var link = new FileInfo(full).LinkTarget!;
            full = Path.GetFullPath(link, Path.GetDirectoryName(full)!);
        }
        return FileKinds.Of(full) switch
        {
            FileKind.Directory => throw new IOException($"'{path}' is a directory; give a file path"),
            FileKind.Special => throw new IOException($"'{path}' is a FIFO, device or socket, not a regular file"),
            FileKind.SymbolicLink => throw new IOException($"'{path}' is a chain of symbolic links too long to follow"),
            _ => full,
        };
    }

    private static FileKind KindFollowingLinks(string full)
    {
        for (int hops = 0; hops < 40; hops++)
        {
            var kind = FileKinds.Of(full);
            if (kind != FileKind.SymbolicLink)
            {
                return kind;
            }
            full = Path.GetFullPath(new FileInfo(full).LinkTarget!, Path.GetDirectoryName(full)!);
        }
        return FileKind.Special;
    }

    /// <summary>Whether two paths name one file: the same full path after links, or (existing files) the same inode.</summary>
    private static bool SameFile(string fullA, string b)
    {
        string fullB = Path.GetFullPath(b);
        if (string.Equals(Resolved(fullA), Resolved(fullB), StringComparison.Ordinal))
        {
            return true;
        }
        return File.Exists(fullA) && File.Exists(fullB) && Identity(fullA) is { } a && a == Identity(fullB);
    }

    private static string Resolved(string full)
    {
        try
        {
            return File.Exists(full) || Directory.Exists(full) ? (new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full) : full;
        }
        catch (IOException)
        {
            return full;
        }
    }

    // Device and inode on Linux (statx), so a hard link or a path through another link is recognised too.
    private static (ulong Device, ulong Inode)? Identity(string full) =>
        OperatingSystem.IsLinux() ? FileKinds.Identity(full) : null;
}
