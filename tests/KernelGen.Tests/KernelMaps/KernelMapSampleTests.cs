using KernelGen;
using KernelGen.KernelMaps;
using KernelGen.Tensors;

namespace KernelGen.Tests.KernelMaps;

/// <summary>The row samples that tuning and calibration run on: runs of consecutive rows, evenly spread, never overlapping.</summary>
public sealed class KernelMapSampleTests
{
    private static KernelMap MapOf(int sites)
    {
        var coordinates = new int[sites * 4];
        for (int i = 0; i < sites; i++)
        {
            coordinates[i * 4 + 1] = i / 64;
            coordinates[i * 4 + 2] = i % 64;
        }
        var input = new SparseTensor(new float[sites], coordinates, 1, new SpatialShape(64, 64, 1));
        return new CpuKernelMapBuilder().Build(input, ConvGeometry.Uniform(ConvKind.SubManifold, 3, 1, 1));
    }

    [Theory]
    [InlineData(1000, 256, 64)]
    [InlineData(1000, 256, 1)]
    [InlineData(1000, 100, 64)]
    [InlineData(4000, 4096, 64)]
    [InlineData(70, 64, 64)]
    [InlineData(10, 64, 64)]
    public void Runs_are_consecutive_evenly_spread_and_disjoint(int sites, int maxRows, int runLength)
    {
        var map = MapOf(sites);
        var rows = map.SampleRows(maxRows, runLength);
        int count = Math.Min(maxRows, sites), length = Math.Min(runLength, count);

        Assert.Equal(count / length * length, rows.Length);
        Assert.True(rows.Length > count - length, $"{rows.Length} rows sampled of {count} wanted");
        Assert.Equal(rows.Order(), rows);
        Assert.Equal(rows.Length, rows.Distinct().Count());
        Assert.All(rows, row => Assert.InRange(row, 0, sites - 1));
        for (int run = 0; run < rows.Length / length; run++)
        {
            var span = rows.AsSpan(run * length, length).ToArray();
            Assert.Equal(Enumerable.Range(span[0], length), span);
        }
        // Spread: the last run starts in the last 1/runs of the map, not packed at its beginning.
        int runs = rows.Length / length;
        Assert.True(rows[^length] >= (long)(runs - 1) * sites / runs, $"last run starts at {rows[^length]}");
    }

    [Fact]
    public void A_sub_map_of_a_sample_keeps_the_rows_and_their_neighbours()
    {
        var map = MapOf(1000);
        var rows = map.SampleRows(128, 64);
        var sub = map.SelectRows(rows);
        for (int i = 0; i < rows.Length; i++)
        {
            Assert.Equal(map.OutIn.AsSpan(rows[i] * 27, 27).ToArray(), sub.OutIn.AsSpan(i * 27, 27).ToArray());
        }
    }

    [Fact]
    public void Bad_sample_sizes_are_refused()
    {
        var map = MapOf(10);
        Assert.Throws<ArgumentOutOfRangeException>(() => map.SampleRows(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => map.SampleRows(8, 0));
    }
}
