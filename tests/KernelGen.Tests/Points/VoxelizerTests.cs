using KernelGen.Points;
using KernelGen.Tensors;
using KernelGen.Tests.Support;

namespace KernelGen.Tests.Points;

public sealed class VoxelizerTests
{
    [Fact]
    public void Voxels_equal_a_brute_force_grouping()
    {
        var random = new RandomSparse();
        var config = new VoxelConfig("test", -2, -1.5, -1, 2, 1.5, 1, 0.5, 0.25, 0.4, DepthPadding: 1);
        var clouds = new[] { RandomCloud(random, 900, 2.5), RandomCloud(random, 700, 2.5) };
        var result = Voxelizer.Voxelize(clouds, config);

        // Brute force: group every in-range point by its cell with plain double arithmetic, then average.
        var groups = new SortedDictionary<(int B, int Z, int Y, int X), List<float[]>>();
        long outside = 0;
        for (int b = 0; b < clouds.Length; b++)
        {
            for (int p = 0; p < clouds[b].Count; p++)
            {
                var point = clouds[b].Xyzi.AsSpan(p * 4, 4).ToArray();
                if (point[0] < config.MinX || point[0] >= config.MaxX || point[1] < config.MinY || point[1] >= config.MaxY
                    || point[2] < config.MinZ || point[2] >= config.MaxZ)
                {
                    outside++;
                    continue;
                }
                var cell = (b, (int)((point[2] - config.MinZ) / config.VoxelZ), (int)((point[1] - config.MinY) / config.VoxelY), (int)((point[0] - config.MinX) / config.VoxelX));
                if (!groups.TryGetValue(cell, out var list))
                {
                    groups[cell] = list = [];
                }
                list.Add(point);
            }
        }

        var tensor = result.Tensor;
        Assert.Equal(new SpatialShape(6, 12, 8), tensor.SpatialShape); // z 5 cells + 1 (CenterPoint), y 12, x 8
        Assert.Equal(2, tensor.BatchSize);
        Assert.Equal(outside, result.PointsOutOfRange);
        Assert.Equal(groups.Count, tensor.Count);
        int row = 0;
        foreach (var (cell, points) in groups) // SortedDictionary order = (batch, z, y, x)
        {
            Assert.Equal([cell.B, cell.Z, cell.Y, cell.X], tensor.Coordinates.AsSpan(row * 4, 4).ToArray());
            for (int c = 0; c < 4; c++)
            {
                double mean = points.Average(p => (double)p[c]);
                Assert.True(Math.Abs(mean - tensor.Features[row * 5 + c]) <= 1e-6 * Math.Max(1, Math.Abs(mean)),
                    $"voxel {cell} channel {c}: {tensor.Features[row * 5 + c]} vs mean {mean} (seed {random.Seed})");
            }
            Assert.Equal(0f, tensor.Features[row * 5 + 4]);
            row++;
        }
        tensor.Validate(checkFinite: true);
    }

    [Fact]
    public void Range_is_half_open()
    {
        var config = new VoxelConfig("unit", 0, 0, 0, 1, 1, 1, 0.5, 0.5, 0.5, DepthPadding: 0);
        var cloud = new PointCloud([0, 0, 0, 1, 0.999f, 0.999f, 0.999f, 2, 1, 0.5f, 0.5f, 3, -0.001f, 0, 0, 4], "edge");
        var result = Voxelizer.Voxelize(cloud, config);
        Assert.Equal(2, result.Tensor.Count);
        Assert.Equal(2, result.PointsOutOfRange);
        Assert.Equal([0, 0, 0, 0, 0, 1, 1, 1], result.Tensor.Coordinates);
    }

    [Fact]
    public void Non_finite_points_are_errors()
    {
        var cloud = new PointCloud([0, 0, 0, 1, float.PositiveInfinity, 0, 0, 1], "bad");
        Assert.Equal("bad: point 1 has a non-finite coordinate or intensity",
            Assert.Throws<InvalidDataException>(() => Voxelizer.Voxelize(cloud, VoxelConfig.NuScenes)).Message);
    }

    [Fact]
    public void Kitti_frame_gives_the_documented_voxel_counts()
    {
        var cloud = KittiBinReader.Read(SharedData.RequireFile(SharedData.KittiFrame));
        var nusc = Voxelizer.Voxelize(cloud, VoxelConfig.NuScenes).Tensor;
        Assert.Equal(new SpatialShape(41, 1440, 1440), nusc.SpatialShape);
        Assert.InRange(nusc.Count, 56_000, 62_000); // "about 59k"
        var kitti = Voxelizer.Voxelize(cloud, VoxelConfig.Kitti).Tensor;
        Assert.Equal(new SpatialShape(41, 1600, 1408), kitti.SpatialShape);
        Assert.InRange(kitti.Count, 39_000, 45_000); // "about 42k"
    }

    [Fact]
    public void Shipped_revolution_gives_about_22k_voxels()
    {
        var cloud = VelodynePcapReader.Read(SharedData.ShippedCapture()).FirstCompleteRevolution().Points;
        Assert.InRange(Voxelizer.Voxelize(cloud, VoxelConfig.NuScenes).Tensor.Count, 20_000, 24_000);
    }

    private static PointCloud RandomCloud(RandomSparse random, int count, double extent)
    {
        var xyzi = new float[count * 4];
        for (int i = 0; i < count; i++)
        {
            for (int c = 0; c < 3; c++)
            {
                xyzi[i * 4 + c] = (float)((random.Random.NextDouble() * 2 - 1) * extent);
            }
            xyzi[i * 4 + 3] = (float)random.Random.NextDouble();
        }
        return new PointCloud(xyzi, "random");
    }
}
