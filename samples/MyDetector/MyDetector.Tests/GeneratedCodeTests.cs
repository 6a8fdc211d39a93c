using System.Reflection;
using System.Text.RegularExpressions;
using ApprovalTests;
using ApprovalTests.Namers;
using ApprovalTests.Reporters;
using Xunit;

namespace MyDetector.Tests;

/// <summary>
/// Snapshot tests of the code KernelGen generated for this project's layers: a new KernelGen version that changes a
/// kernel shows up as a .received.cs beside the .approved.cs — read the diff, then approve it by renaming.
/// </summary>
[UseReporter(typeof(QuietReporter))]
[UseApprovalSubdirectory("Snapshots")]
public sealed class GeneratedCodeTests
{
    private static string GeneratedSources => typeof(GeneratedCodeTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "GeneratedSources").Value!;

    [Fact]
    public void The_stem_layer_file_is_approved() =>
        // The build's generator version (e.g. 0.1.0+<commit>) is stamped into the file; the snapshot pins the code.
        Approvals.Verify(Regex.Replace(File.ReadAllText(Path.Combine(GeneratedSources, "MyDetector.Stem.Layer.g.cs")),
            "GeneratorVersion: \"[^\"]*\"", "GeneratorVersion: \"<version>\""));

    [Fact]
    public void Every_layer_has_its_kernel_files() =>
        Approvals.VerifyAll(Directory.GetFiles(GeneratedSources, "*.g.cs").Select(Path.GetFileName).Order(StringComparer.Ordinal), "file");
}
