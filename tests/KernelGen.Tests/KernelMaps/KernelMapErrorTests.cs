using KernelGen;
using KernelGen.KernelMaps;
using KernelGen.Tensors;
using KernelGen.Tests.Support;

namespace KernelGen.Tests.KernelMaps;

/// <summary>Both builders reject bad sites and bad geometry with the same message, naming the first offending row.</summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class KernelMapErrorTests(CpuAcceleratorFixture fixture)
{
    private IEnumerable<IKernelMapBuilder> Builders() => [new CpuKernelMapBuilder(), new IlgpuKernelMapBuilder(fixture.Session.Accelerator)];

    private static readonly ConvGeometry Subm3 = ConvGeometry.Uniform(ConvKind.SubManifold, 3, 1, 1);

    [Fact]
    public void Duplicate_sites_are_rejected_naming_both_rows()
    {
        var input = new SparseTensor(new float[3], [0, 1, 1, 1, 0, 2, 2, 2, 0, 1, 1, 1], 1, new SpatialShape(4, 4, 4));
        foreach (var builder in Builders())
        {
            var e = Assert.Throws<InvalidDataException>(() => builder.Build(input, Subm3));
            Assert.Equal("row 2: duplicate coordinate (batch=0, z=1, y=1, x=1), first seen at row 0", e.Message);
        }
    }

    [Fact]
    public void Sites_outside_the_shape_or_batch_are_rejected()
    {
        var outside = new SparseTensor(new float[2], [0, 0, 0, 0, 0, 3, 4, 1], 1, new SpatialShape(4, 4, 4));
        var badBatch = new SparseTensor(new float[2], [0, 0, 0, 0, 1, 0, 0, 0], 1, new SpatialShape(4, 4, 4), batchSize: 1);
        foreach (var builder in Builders())
        {
            Assert.Equal("row 1: coordinate (z=3, y=4, x=1) is outside the spatial shape (4, 4, 4)",
                Assert.Throws<InvalidDataException>(() => builder.Build(outside, Subm3)).Message);
            Assert.Equal("row 1: batch index 1 is outside [0, 1)",
                Assert.Throws<InvalidDataException>(() => builder.Build(badBatch, Subm3)).Message);
        }
    }

    [Theory]
    [InlineData(ConvKind.SubManifold, "2", "1", "0", "1", "submanifold conv needs an odd kernel size on every axis, got 2")]
    [InlineData(ConvKind.SubManifold, "3", "2", "0", "1", "submanifold conv needs stride 1, got 2")]
    [InlineData(ConvKind.Sparse, "0,3,3", "1", "0", "1", "kernel (0,3,3) must be at least 1 on every axis")]
    [InlineData(ConvKind.Sparse, "3", "0", "0", "1", "stride 0 must be at least 1 on every axis")]
    [InlineData(ConvKind.Sparse, "3", "1", "-1", "1", "padding -1 must be non-negative on every axis")]
    [InlineData(ConvKind.Sparse, "3", "1", "0", "0", "dilation 0 must be at least 1 on every axis")]
    [InlineData(ConvKind.Sparse, "5", "1", "0", "2", "axis z: input extent 4 with padding 0 is smaller than the dilated kernel 9; the output would be empty")]
    public void Invalid_geometry_is_rejected(ConvKind kind, string kernel, string stride, string padding, string dilation, string message)
    {
        var geometry = new ConvGeometry(kind, Triple.Parse(kernel, "k"), Triple.Parse(stride, "s"), Triple.Parse(padding, "p"), Triple.Parse(dilation, "d"));
        var input = new SparseTensor(new float[1], [0, 1, 1, 1], 1, new SpatialShape(4, 4, 4));
        foreach (var builder in Builders())
        {
            Assert.Equal(message, Assert.Throws<ArgumentException>(() => builder.Build(input, geometry)).Message);
        }
    }

    [Fact]
    public void Inverse_geometry_must_come_from_the_forward_map()
    {
        var input = new SparseTensor(new float[1], [0, 1, 1, 1], 1, new SpatialShape(4, 4, 4));
        foreach (var builder in Builders())
        {
            Assert.Contains("KernelMap.Invert", Assert.Throws<ArgumentException>(
                () => builder.Build(input, ConvGeometry.Uniform(ConvKind.Inverse, 3, 2, 1))).Message);
        }
    }

    [Fact]
    public void Output_shape_follows_the_spconv_formula()
    {
        var g = new ConvGeometry(ConvKind.Sparse, new Triple(3, 3, 3), new Triple(2, 2, 2), new Triple(0, 1, 1), Triple.All(1));
        Assert.Equal(new SpatialShape(5, 180, 180), g.OutputShape(new SpatialShape(11, 360, 360)));
        var extra = new ConvGeometry(ConvKind.Sparse, new Triple(3, 1, 1), new Triple(2, 1, 1), Triple.All(0), Triple.All(1));
        Assert.Equal(new SpatialShape(2, 180, 180), extra.OutputShape(new SpatialShape(5, 180, 180)));
        var dilated = ConvGeometry.Uniform(ConvKind.Sparse, 3, 2, 1, 2);
        Assert.Equal(new SpatialShape(3, 3, 4), dilated.OutputShape(new SpatialShape(8, 8, 9))); // (n + 2 - 4 - 1) / 2 + 1
    }
}
