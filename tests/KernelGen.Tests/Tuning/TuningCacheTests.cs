using System.Text.Json;
using KernelGen.Tuning;
using KernelGen.Variants;

namespace KernelGen.Tests.Tuning;

public sealed class TuningCacheTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("kernelgen-cache-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string CachePath => Path.Combine(_folder, "nested", "tuning.json");

    private static readonly TuningKey Key = new("CPU Test × 2", "1.5.3", "0.1.0.0", "Sparse", 32, 64, "3", "2", "1", "1", "64x32x16", true, Activation.Relu, true, "W8A8", 15);

    private static TuningResult Result(TuningKey key, string winner) => new(key, winner,
        [new Trial(winner, TrialOutcome.Timed, 1.25, null), new Trial("Generic", TrialOutcome.Timed, 9.5, null), new Trial("GpuStyle", TrialOutcome.Dropped, null, "probe 80 ms", 80)], false);

    [Fact]
    public void Round_trips_through_a_readable_json_file()
    {
        new TuningCache(CachePath).Store(Result(Key, "CpuW8A8_Vnni256_Tile128x64_Smooth"));
        var reopened = new TuningCache(CachePath);
        Assert.Empty(reopened.Warnings);
        var hit = reopened.Find(Key)!;
        Assert.True(hit.FromCache);
        Assert.Equal("CpuW8A8_Vnni256_Tile128x64_Smooth", hit.Winner);
        Assert.Equal(1.25, hit.WinnerMs);
        Assert.Equal((TrialOutcome.Dropped, 80.0), (hit.Trials[2].Outcome, hit.Trials[2].ProbeMs));
        string text = File.ReadAllText(CachePath);
        Assert.Contains("\"Format\": 1", text);
        Assert.Contains("CPU Test × 2|ilgpu 1.5.3|generator 0.1.0.0|Sparse|32->64|k3|s2|p1|d1|tiles 64x32x16|bias|Relu|SmoothQuant|W8A8|2^15", text);
        Assert.Contains("\"Outcome\": \"Dropped\"", text);
    }

    [Fact]
    public void Any_change_of_the_key_misses()
    {
        var cache = new TuningCache(CachePath);
        cache.Store(Result(Key, "X"));
        Assert.NotNull(cache.Find(Key));
        foreach (var other in new[]
        {
            Key with { Device = "CUDA NVIDIA H100" }, Key with { IlgpuVersion = "1.6.0" }, Key with { GeneratorVersion = "0.2.0.0" },
            Key with { OutChannels = 128 }, Key with { Stride = "(2,1,1)" }, Key with { Needs = "F32" }, Key with { Needs = "W8A8+residual" }, Key with { Tiles = "64x32x16,128x64x32" }, Key with { SmoothQuant = false }, Key with { Activation = Activation.None }, Key with { Bias = false }, Key with { GeneratorVersion = "0.1.0+abc" }, Key with { SizeBucket = 16 },
        })
        {
            Assert.Null(new TuningCache(CachePath).Find(other));
        }
        Assert.Equal(15, TuningKey.SizeBucketOf(59_006));
        Assert.Equal(14, TuningKey.SizeBucketOf(22_045));
    }

    [Theory]
    [InlineData("{ this is not json", "could not be read")]
    [InlineData("{\"Format\": 99, \"Entries\": {}}", "has format 99, expected 1")]
    [InlineData("", "could not be read")]
    public void A_corrupt_or_foreign_file_is_a_warning_and_retuning_not_a_crash(string content, string warning)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(CachePath)!);
        File.WriteAllText(CachePath, content);
        var cache = new TuningCache(CachePath);
        Assert.Contains(cache.Warnings, w => w.Contains(warning));
        Assert.Null(cache.Find(Key));
        cache.Store(Result(Key, "Y")); // the next store replaces the broken file
        Assert.Equal("Y", new TuningCache(CachePath).Find(Key)!.Winner);
    }

    [Fact]
    public void Concurrent_writers_leave_a_valid_file_with_every_entry()
    {
        var keys = Enumerable.Range(0, 40).Select(i => Key with { SizeBucket = i }).ToList();
        Parallel.ForEach(keys.Chunk(5), new ParallelOptions { MaxDegreeOfParallelism = 8 }, chunk =>
        {
            foreach (var key in chunk)
            {
                new TuningCache(CachePath).Store(Result(key, $"winner{key.SizeBucket}")); // each writer has its own view
            }
        });
        using var document = JsonDocument.Parse(File.ReadAllText(CachePath));
        var reopened = new TuningCache(CachePath);
        Assert.Empty(reopened.Warnings);
        Assert.All(keys, key => Assert.Equal($"winner{key.SizeBucket}", reopened.Find(key)!.Winner));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(CachePath)!, "*.tmp"));
    }

    [Fact]
    public void A_directory_at_the_path_is_a_warning_and_an_in_memory_cache_never_a_crash()
    {
        string path = Path.Combine(_folder, "cache-is-a-folder");
        Directory.CreateDirectory(path);
        var cache = new TuningCache(path);
        Assert.True(cache.InMemoryOnly);
        Assert.Contains($"tuning cache {path} is a directory, not a regular file: keeping tuning choices in memory for this run", cache.Warnings);
        cache.Store(Result(Key, "A"));
        Assert.Equal("A", cache.Find(Key)!.Winner); // still a cache for this run
        Assert.True(Directory.Exists(path));
        Assert.Empty(Directory.GetFileSystemEntries(_folder, "*.tmp", SearchOption.AllDirectories)); // no temp files left behind
    }

    [Fact]
    public void A_fifo_at_the_path_is_never_replaced()
    {
        // What KERNELGEN_CACHE=/dev/null once did to the device node, shown safely on a FIFO of our own.
        string path = Path.Combine(_folder, "pipe");
        var mkfifo = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("mkfifo", path) { RedirectStandardError = true });
        Assert.SkipWhen(mkfifo is null, "mkfifo is not available here");
        mkfifo!.WaitForExit();
        Assert.SkipUnless(mkfifo.ExitCode == 0, "mkfifo could not create a FIFO here");
        Assert.Equal(KernelGen.IO.FileKind.Special, KernelGen.IO.FileKinds.Of(path));
        var cache = new TuningCache(path);
        Assert.Contains("is a device, FIFO or socket, not a regular file", Assert.Single(cache.Warnings));
        cache.Store(Result(Key, "A"));
        Assert.Equal(KernelGen.IO.FileKind.Special, KernelGen.IO.FileKinds.Of(path));
        Assert.Equal(KernelGen.IO.FileKind.Special, KernelGen.IO.FileKinds.Of("/dev/null"));
    }

    [Fact]
    public void A_symbolic_link_is_followed_to_its_regular_file_and_stays_a_link()
    {
        string target = Path.Combine(_folder, "real-cache.json"), link = Path.Combine(_folder, "link.json");
        File.CreateSymbolicLink(link, target); // dangling until the first store
        new TuningCache(link).Store(Result(Key, "A"));
        Assert.Equal(KernelGen.IO.FileKind.SymbolicLink, KernelGen.IO.FileKinds.Of(link));
        Assert.Equal(KernelGen.IO.FileKind.Regular, KernelGen.IO.FileKinds.Of(target));
        Assert.Equal("A", new TuningCache(link).Find(Key)!.Winner);
        Assert.Equal("A", new TuningCache(target).Find(Key)!.Winner);

        string toFolder = Path.Combine(_folder, "link-to-folder");
        File.CreateSymbolicLink(toFolder, _folder);
        Assert.Contains("is a symbolic link to a directory", Assert.Single(new TuningCache(toFolder).Warnings));
    }

    [Fact]
    public void A_path_that_cannot_be_written_is_one_warning_then_memory()
    {
        // A folder that cannot be created (a file is in the way): as a read-only HOME would be, even for root.
        string blocker = Path.Combine(_folder, "not-a-folder");
        File.WriteAllText(blocker, "x");
        var cache = new TuningCache(Path.Combine(blocker, "kernelgen", "tuning.json"));
        Assert.Empty(cache.Warnings);
        cache.Store(Result(Key, "A"));
        cache.Store(Result(Key with { SizeBucket = 3 }, "B"));
        Assert.True(cache.InMemoryOnly);
        Assert.Contains("cannot be written", Assert.Single(cache.Warnings));
        Assert.Equal("B", cache.Find(Key with { SizeBucket = 3 })!.Winner);
    }
}
