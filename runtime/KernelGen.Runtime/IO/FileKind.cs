using System.Runtime.InteropServices;

namespace KernelGen.IO;

/// <summary>What a path names, without following a final symbolic link.</summary>
internal enum FileKind
{
    /// <summary>Nothing is there.</summary>
    Missing,

    /// <summary>A regular file.</summary>
    Regular,

    /// <summary>A directory.</summary>
    Directory,

    /// <summary>A symbolic link (to anything, or dangling).</summary>
    SymbolicLink,

    /// <summary>A device node, FIFO, socket or anything else that is not a regular file.</summary>
    Special,
}

/// <summary>
/// Classifies a path before writing to it, so a tool never replaces a device node, a directory or a FIFO with a
/// regular file. .NET's file attributes do not tell a device node from a regular file on Unix, so on Linux the type
/// comes from <c>statx</c> (a layout that is the same on every architecture); elsewhere from the attributes.
/// </summary>
internal static class FileKinds
{
    private const int AtFdCwd = -100, AtSymlinkNoFollow = 0x100, StatxType = 0x1, ModeOffset = 28;

    /// <summary>The kind of <paramref name="path"/>.</summary>
    public static FileKind Of(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (OperatingSystem.IsLinux() && TryStatxMode(path, out int mode, out bool missing))
        {
            return missing ? FileKind.Missing : (mode & 0xF000) switch
            {
                0x8000 => FileKind.Regular,
                0x4000 => FileKind.Directory,
                0xA000 => FileKind.SymbolicLink,
                _ => FileKind.Special,
            };
        }
        var info = new FileInfo(path);
        if (info.LinkTarget is not null)
        {
            return FileKind.SymbolicLink;
        }
        if (System.IO.Directory.Exists(path))
        {
            return FileKind.Directory;
        }
        return info.Exists ? FileKind.Regular : FileKind.Missing;
    }

    /// <summary>The device and inode of the file <paramref name="path"/> names (following links), or null when unknown.</summary>
    internal static (ulong Device, ulong Inode)? Identity(string path)
    {
        const int StatxIno = 0x100, InoOffset = 32, DevMajorOffset = 136, DevMinorOffset = 140;
        var buffer = new byte[256];
        try
        {
            return Statx(AtFdCwd, path, 0, StatxType | StatxIno, buffer) == 0
                ? (((ulong)BitConverter.ToUInt32(buffer, DevMajorOffset) << 32) | BitConverter.ToUInt32(buffer, DevMinorOffset), BitConverter.ToUInt64(buffer, InoOffset))
                : null;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return null;
        }
    }

    private static bool TryStatxMode(string path, out int mode, out bool missing)
    {
        mode = 0;
        missing = false;
        var buffer = new byte[256];
        try
        {
            if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxType, buffer) == 0)
            {
                mode = BitConverter.ToUInt16(buffer, ModeOffset);
                return true;
            }
            int errno = Marshal.GetLastPInvokeError();
            missing = errno is 2 or 20; // ENOENT, ENOTDIR
            return missing;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return false; // an old libc without statx: fall back to the attributes
        }
    }

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);
}
