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
        string root = RepositoryRoot();
        // A version of its own, so no package cached by an earlier run can stand in for this build.
        string version = $"0.0.0-test.{DateTime.UtcNow:yyyyMMddHHmmssfff}";
        string feed = Path.Combine(_work, "feed"), consumer = Path.Combine(_work, "consumer");
        Run(root, "dotnet", "pack", Path.Combine(root, "runtime", "KernelGen.Runtime", "KernelGen.Runtime.csproj"),
            "-c", Configuration, "--no-build", "-o", feed, $"-p:Version={version}");

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
            [Quantize(QuantMode.W8A8)]
            public partial class Down { }
            """);

        Run(consumer, "dotnet", "build", "-c", "Release");
        string output = Run(consumer, "dotnet", "run", "-c", "Release", "--no-build");
        // fp32 and W8A8 × GPU-style and barrier-free, plus 5 CPU SIMD variants; registered at load.
        Assert.Equal("Down 9 1", output.Trim());
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "KernelGen.sln")))
            {
                return dir.FullName;
            }
        }
        throw new DirectoryNotFoundException("KernelGen.sln not found above the test binaries");
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
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(5)), $"{command} {string.Join(' ', arguments)} did not finish in 5 minutes");
        Assert.True(process.ExitCode == 0, $"{command} {string.Join(' ', arguments)} exited {process.ExitCode}:\n{stdout.Result}\n{stderr.Result}");
        return stdout.Result;
    }
}
