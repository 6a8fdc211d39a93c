namespace KernelGen.Cli;

/// <summary>Checks made before any work, so a bad argument fails in a second, not after minutes of tuning.</summary>
internal static class CliChecks
{
    /// <summary>Throws when the folder an output file would be written into does not exist.</summary>
    public static void EnsureFolderExists(string? outputPath, string option)
    {
        if (outputPath is not null && Path.GetDirectoryName(Path.GetFullPath(outputPath)) is { } folder && !Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"{option}: folder {folder} does not exist");
        }
    }
}
