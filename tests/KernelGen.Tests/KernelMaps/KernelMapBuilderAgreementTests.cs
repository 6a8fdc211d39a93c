using KernelGen;
using KernelGen.KernelMaps;
using KernelGen.Points;
using KernelGen.Tensors;
using KernelGen.Tests.Kernels;
using KernelGen.Tests.Support;

namespace KernelGen.Tests.KernelMaps;

/// <summary>
/// The CPU builder and the ILGPU device-hash-table builder produce identical maps — on shuffled sites (the CPU's hash
/// path) and on sorted ones (its merge and radix-sort paths), small and large enough for many parallel chunks.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class KernelMapBuilderAgreementTests(CpuAcceleratorFixture fixture)
{
    private readonly IlgpuKernelMapBuilder _device = new(fixture.Session.Accelerator);
    private readonly CpuKernelMapBuilder _cpu = new();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Builders_agree_on_random_inputs(string caseName)
    {
        var c = ConvCases.All[caseName];
        var random = new RandomSparse();
        var input = random.Tensor(c.Shape, 1, c.BatchSize, c.Density);
        var map = _cpu.Build(input, c.Geometry);
        AssertIdentical(map, _device.Build(input, c.Geometry), $"{caseName} (seed {random.Seed})");
        if (input.Count > 1 && c.Geometry.Kind == ConvKind.SubManifold)
        {
            Assert.Equal(KernelMapMethod.HashTable, map.Method); // shuffled rows: the hash path
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Builders_agree_on_random_sorted_inputs(string caseName)
    {
        var c = ConvCases.All[caseName];
        var random = new RandomSparse();
        var input = Sorted(random.Tensor(c.Shape, 1, c.BatchSize, c.Density));
        var map = _cpu.Build(input, c.Geometry);
        AssertIdentical(map, _device.Build(input, c.Geometry), $"{caseName}, sorted (seed {random.Seed})");
        Assert.Equal(c.Geometry.Kind == ConvKind.SubManifold ? KernelMapMethod.SortedMerge : KernelMapMethod.RadixSort, map.Method);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Builders_agree_across_many_parallel_chunks(bool sorted)
    {
        // ~43k sites in two batches: many 4096-row chunks, runs of equal output keys that cross chunk boundaries.
        var random = new RandomSparse();
        var input = random.Tensor(new SpatialShape(12, 45, 40), 1, batchSize: 2, density: 0.9);
        input = sorted ? Sorted(input) : input;
        foreach (var geometry in new[]
        {
            ConvGeometry.Uniform(ConvKind.SubManifold, 3, 1, 1),
            ConvGeometry.Uniform(ConvKind.Sparse, 3, 2, 1),
            new ConvGeometry(ConvKind.Sparse, new Triple(3, 1, 1), new Triple(2, 1, 1), Triple.All(0), Triple.All(1)),
        })
        {
            AssertIdentical(_cpu.Build(input, geometry), _device.Build(input, geometry), $"{geometry}, sorted={sorted} (seed {random.Seed})");
        }
    }

    [Fact]
    public void Builders_agree_on_the_real_kitti_frame_for_every_centerpoint_map()
    {
        var cloud = KittiBinReader.Read(SharedData.RequireFile(SharedData.KittiFrame));
        var current = Voxelizer.Voxelize(cloud, VoxelConfig.NuScenes).Tensor;
        // CenterPoint's SpMiddleResNetFHD: the SubM map of each stage and the strided conv into the next.
        var down = new[]
        {
            ConvGeometry.Uniform(ConvKind.Sparse, 3, 2, 1),
            ConvGeometry.Uniform(ConvKind.Sparse, 3, 2, 1),
            new ConvGeometry(ConvKind.Sparse, Triple.All(3), Triple.All(2), new Triple(0, 1, 1), Triple.All(1)),
            new ConvGeometry(ConvKind.Sparse, new Triple(3, 1, 1), new Triple(2, 1, 1), Triple.All(0), Triple.All(1)),
        };
        var subm = ConvGeometry.Uniform(ConvKind.SubManifold, 3, 1, 1);
        foreach (var geometry in down)
        {
            AssertIdentical(_cpu.Build(current, subm), _device.Build(current, subm), $"SubM on {current.Count} sites");
            var map = _cpu.Build(current, geometry);
            AssertIdentical(map, _device.Build(current, geometry), $"{geometry} on {current.Count} sites");
            current = new SparseTensor(new float[map.OutputCount], map.OutputCoordinates, 1, map.OutputShape);
        }
        Assert.Equal(new SpatialShape(2, 180, 180), current.SpatialShape);
    }

    /// <summary>The same sites and features with the rows in (batch, z, y, x) order, as the voxelizer writes them.</summary>
    private static SparseTensor Sorted(SparseTensor input)
    {
        var c = input.Coordinates;
        var order = Enumerable.Range(0, input.Count)
            .OrderBy(r => input.SpatialShape.Key(c[r * 4], c[r * 4 + 1], c[r * 4 + 2], c[r * 4 + 3])).ToArray();
        var coordinates = order.SelectMany(r => c.AsSpan(r * 4, 4).ToArray()).ToArray();
        var features = order.SelectMany(r => input.Features.AsSpan(r * input.Channels, input.Channels).ToArray()).ToArray();
        return new SparseTensor(features, coordinates, input.Channels, input.SpatialShape, input.BatchSize);
    }

    private static void AssertIdentical(KernelMap expected, KernelMap actual, string context)
    {
        Assert.Equal(expected.OutputShape, actual.OutputShape);
        Assert.True(expected.OutputCoordinates.AsSpan().SequenceEqual(actual.OutputCoordinates), $"{context}: output sites differ");
        Assert.True(expected.OutIn.AsSpan().SequenceEqual(actual.OutIn), $"{context}: maps differ");
        Assert.Equal(expected.InputCount, actual.InputCount);
    }

    public static TheoryData<string> Cases() => ConvCases.Names();
}
