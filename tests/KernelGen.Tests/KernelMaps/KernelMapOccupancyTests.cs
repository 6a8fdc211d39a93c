using KernelGen;
using KernelGen.KernelMaps;
using KernelGen.Tensors;
using KernelGen.Tests.Support;

namespace KernelGen.Tests.KernelMaps;

/// <summary>The share of (tile, offset) pairs the offset-skipping GPU tiles work on.</summary>
public sealed class KernelMapOccupancyTests
{
    private static readonly ConvGeometry Subm3 = ConvGeometry.Uniform(ConvKind.SubManifold, 3, 1, 1);

    [Fact]
    public void A_row_of_sites_has_three_of_twenty_seven_offsets_in_every_tile()
    {
        var coordinates = Enumerable.Range(0, 100).SelectMany(x => new[] { 0, 3, 2, x }).ToArray();
        var map = new CpuKernelMapBuilder().Build(new SparseTensor(new float[100], coordinates, 1, new SpatialShape(7, 6, 100)), Subm3);
        Assert.Equal(3.0 / 27, map.TileOffsetOccupancy(64), 12);
        // One-row tiles: the two ends of the row lack one neighbour each.
        Assert.Equal((double)map.PairCount / (100 * 27), map.TileOffsetOccupancy(1), 12);
        Assert.Equal(0, new CpuKernelMapBuilder().Build(new SparseTensor([], [], 1, new SpatialShape(4, 4, 4)), Subm3).TileOffsetOccupancy(64));
        Assert.Throws<ArgumentOutOfRangeException>(() => map.TileOffsetOccupancy(0));
    }

    [Theory]
    [InlineData(0.05)]
    [InlineData(0.4)]
    public void Equals_a_count_of_distinct_tile_offsets_and_a_tile_covers_its_sub_tiles(double density)
    {
        var random = new RandomSparse();
        var input = random.Tensor(new SpatialShape(9, 17, 23), 1, batchSize: 1, density: density);
        var map = new CpuKernelMapBuilder().Build(input, Subm3);
        int previousBlock = 0, previousPresent = 0;
        foreach (int blockM in new[] { 1, 16, 64, 256 })
        {
            // Independently: the set of (tile, offset) with a neighbour.
            var present = new HashSet<(int, int)>();
            for (int row = 0; row < map.OutputCount; row++)
            {
                for (int k = 0; k < 27; k++)
                {
                    if (map.OutIn[row * 27 + k] >= 0)
                    {
                        present.Add((row / blockM, k));
                    }
                }
            }
            int tiles = (map.OutputCount + blockM - 1) / blockM;
            double occupancy = map.TileOffsetOccupancy(blockM);
            Assert.Equal(present.Count / (27.0 * tiles), occupancy, 12);
            // A tile's offsets are the union of its sub-tiles', so it has at least as many as their mean: r sub-tiles per
            // tile (fewer in a last, partial tile) give present · r ≥ the sub-tiles' count. (The occupancy itself can
            // dip where a short last tile weighs as much as a full one.)
            if (previousBlock > 0)
            {
                Assert.True((long)present.Count * (blockM / previousBlock) >= previousPresent,
                    $"seed {random.Seed}: {present.Count} (tile, offset) pairs of {blockM}-row tiles, fewer than 1/{blockM / previousBlock} of the {previousPresent} of {previousBlock}-row tiles");
            }
            (previousBlock, previousPresent) = (blockM, present.Count);
        }
    }
}
