using System.CommandLine;

namespace KernelGen.Cli;

/// <summary>The <c>kernelgen</c> command tree; <see cref="Run"/> is what Main and the tests call.</summary>
internal static class CliApp
{
    /// <summary>Exit code for bad input (options, files, shapes).</summary>
    public const int UsageError = 2;

    /// <summary>Exit code for a check that ran and failed (for example the demo's error bound).</summary>
    public const int CheckFailed = 3;

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var root = new RootCommand("KernelGen: specialized sparse 3D convolution kernels (spconv-compatible) on ILGPU.");
        root.Subcommands.Add(ConvCommand.Create(output));
        root.Subcommands.Add(DemoCommand.Create(output));
        root.Subcommands.Add(TuneCommand.Create(output));
        root.Subcommands.Add(RunCommand.Create(output));
        root.Subcommands.Add(CalibrateCommand.Create(output));
        root.Subcommands.Add(VoxelizeCommand.Create(output));
        root.Subcommands.Add(ImportOnnxCommand.Create(output));

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // One line, no help dump: the first problem (an unknown option usually brings a second, derived one).
            string more = parsed.Errors.Count > 1 ? $" (and {parsed.Errors.Count - 1} more: {string.Join("; ", parsed.Errors.Skip(1).Select(p => p.Message))})" : "";
            error.WriteLine($"kernelgen: error: {parsed.Errors[0].Message.ReplaceLineEndings(" ")}{more.ReplaceLineEndings(" ")}");
            return UsageError;
        }
        try
        {
            return parsed.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (IsUserError(e))
        {
            error.WriteLine($"kernelgen {CommandPath(parsed.CommandResult)}: error: {OneLine(e)}");
            return UsageError;
        }
    }

    /// <summary>The command as typed, below the root: "run", "calibrate merge".</summary>
    private static string CommandPath(System.CommandLine.Parsing.CommandResult result)
    {
        var names = new List<string>();
        for (var command = result; command.Parent is System.CommandLine.Parsing.CommandResult parent; command = parent)
        {
            names.Insert(0, command.Command.Name);
        }
        return string.Join(' ', names);
    }

    /// <summary>The message for a user: without .NET's " (Parameter 'x')" suffix, on one line.</summary>
    private static string OneLine(Exception e)
    {
        string message = e is ArgumentException { ParamName: { } name } ? e.Message.Replace($" (Parameter '{name}')", "") : e.Message;
        return message.ReplaceLineEndings(" ");
    }

    private static bool IsUserError(Exception e) =>
        e is ArgumentException or FormatException or NotSupportedException or InvalidDataException or IOException or InvalidOperationException
            or UnauthorizedAccessException or KeyNotFoundException;
}
