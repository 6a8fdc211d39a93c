using KernelGen;
using KernelGen.KernelMaps;
using KernelGen.Points;
using KernelGen.Tensors;
using KernelGen.Tests.Kernels;
using KernelGen.Tests.Support;

namespace KernelGen.Tests.KernelMaps;

/// <summary>The CPU hash-map builder and the ILGPU device-hash-table builder produce identical maps.</summary>
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
        AssertIdentical(_cpu.Build(input, c.Geometry), _device.Build(input, c.Geometry), $"{caseName} (seed {random.Seed})");
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

    private static void AssertIdentical(KernelMap expected, KernelMap actual, string context)
    {
        Assert.Equal(expected.OutputShape, actual.OutputShape);
        Assert.True(expected.OutputCoordinates.AsSpan().SequenceEqual(actual.OutputCoordinates), $"{context}: output sites differ");
        Assert.True(expected.OutIn.AsSpan().SequenceEqual(actual.OutIn), $"{context}: maps differ");
        Assert.Equal(expected.InputCount, actual.InputCount);
    }

    public static TheoryData<string> Cases() => ConvCases.Names();
}
