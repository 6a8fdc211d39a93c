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
}
