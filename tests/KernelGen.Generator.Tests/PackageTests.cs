using System.Diagnostics;

namespace KernelGen.Generator.Tests;

/// <summary>
/// `dotnet pack` of the runtime carries the generator: a fresh console project outside this repository that only adds
/// a PackageReference to the package can annotate a class, build, and find its generated layer at run time.
/// </summary>
public sealed class PackageTests : IDisposable
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    private readonly string _work = Directory.CreateTempSubdirectory("kernelgen-package-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public void Packed_runtime_brings_the_generator_to_a_fresh_console_project()
    {
        var (feed, version) = PackRuntime();
        string consumer = Path.Combine(_work, "consumer");

        Directory.CreateDirectory(consumer);
        File.WriteAllText(Path.Combine(consumer, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                <RestorePackagesPath>{Path.Combine(_work, "packages")}</RestorePackagesPath>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="KernelGen.Runtime" Version="{version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(consumer, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="kernelgen-test-feed" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(consumer, "Program.cs"), """
            using KernelGen;

            System.Console.WriteLine($"{Down.Layer.Name} {Down.Layer.Variants.Count} {KernelGen.Variants.GeneratedLayers.All.Count}");

            [SparseConv3d(InChannels = 8, OutChannels = 16, Kind = ConvKind.Sparse, Stride = 2, Padding = 1)]
            [Tile(BlockM = 32, BlockN = 16, BlockK = 8)]
            [Quantize(Precision.W8A8)]
            public partial class Down { }
            """);

        Run(consumer, "dotnet", "build", "-c", "Release");
        string output = Run(consumer, "dotnet", "run", "-c", "Release", "--no-build");
        // fp32 and W8A8 × GPU-style and barrier-free, the W8A8 tensor-core variant, plus 7 CPU SIMD variants (3 fp32;
        // W8A8 VNNI, AVX-512BW, AVX2, portable); registered at load.
        Assert.Equal("Down 12 1", output.Trim());
    }

    [Fact]
    public void The_worked_example_builds_runs_and_passes_its_tests_from_the_packed_output()
    {
        // samples/MyDetector as a user has it: a copy outside the repository whose only KernelGen is the package.
        var (feed, version) = PackRuntime();
        string sample = Path.Combine(_work, "MyDetector");
        CopySample(Path.Combine(GeneratorHarness.RepositoryRoot(), "samples", "MyDetector"), sample);
        File.WriteAllText(Path.Combine(sample, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="kernelgen-test-feed" value="{feed}" />
              </packageSources>
            </configuration>
            """);

        string tests = Run(sample, "dotnet", "test", "MyDetector.Tests", "-c", "Release", $"-p:KernelGenVersion={version}");
        Assert.Contains("Passed!", tests); // the backbone tests and the approved snapshots of its generated code
        string output = Run(sample, "dotnet", "run", "-c", "Release", "--no-build", $"-p:KernelGenVersion={version}");
        Assert.Contains("mydetector: 20000 points", output);
        Assert.Contains("block.conv2", output);
        Assert.Matches(@"cosine vs fp32: 0\.99\d+", output);
        // Every generated fp32 kernel of the layers through the contract, against the generic one.
        string kernels = Run(sample, "dotnet", "run", "-c", "Release", "--no-build", $"-p:KernelGenVersion={version}", "--", "--kernels");
        var fp32 = System.Text.RegularExpressions.Regex.Matches(kernels, @"^\s+(\S*F32\S*)\s+[\d.]+ ms\s+max \|diff\| vs generic fp32 (\S+)\s*$",
            System.Text.RegularExpressions.RegexOptions.Multiline);
        Assert.True(fp32.Count >= 12, kernels);
        Assert.All(fp32, m => Assert.True(double.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) < 1e-3, m.Value));
    }

    /// <summary>
    /// Packs the built runtime into a feed folder, with a version of its own so that no package cached by an earlier
    /// run can stand in for this build.
    /// </summary>
    private (string Feed, string Version) PackRuntime()
    {
        string root = GeneratorHarness.RepositoryRoot(), feed = Path.Combine(_work, "feed");
        string version = $"0.0.0-test.{DateTime.UtcNow:yyyyMMddHHmmssfff}";
        Run(root, "dotnet", "pack", Path.Combine(root, "runtime", "KernelGen.Runtime", "KernelGen.Runtime.csproj"),
            "-c", Configuration, "--no-build", "-o", feed, $"-p:Version={version}");
        return (feed, version);
    }

    private static void CopySample(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(from, file);
            var parts = relative.Split(Path.DirectorySeparatorChar);
            if (parts.Contains("bin") || parts.Contains("obj") || relative.Contains(".received.", StringComparison.Ordinal))
            {
                continue;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(to, relative))!);
            File.Copy(file, Path.Combine(to, relative));
        }
    }

    private static string Run(string directory, string command, params string[] arguments)
    {
        var start = new ProcessStartInfo(command) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["KERNELGEN_CACHE"] = Path.Combine(Path.GetTempPath(), $"kernelgen-package-test-{Environment.ProcessId}.json");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(5)), $"{command} {string.Join(' ', arguments)} did not finish in 5 minutes");
        Assert.True(process.ExitCode == 0, $"{command} {string.Join(' ', arguments)} exited {process.ExitCode}:\n{stdout.Result}\n{stderr.Result}");
        return stdout.Result;
    }
}
