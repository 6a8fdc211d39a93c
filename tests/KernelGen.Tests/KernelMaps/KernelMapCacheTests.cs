using KernelGen;
using KernelGen.KernelMaps;
using KernelGen.Tensors;
using KernelGen.Tests.Support;

namespace KernelGen.Tests.KernelMaps;

public sealed class KernelMapCacheTests
{
    private static readonly ConvGeometry Subm3 = ConvGeometry.Uniform(ConvKind.SubManifold, 3, 1, 1);

    [Fact]
    public void Consecutive_subm_layers_on_the_same_sites_build_one_map()
    {
        var random = new RandomSparse();
        var input = random.Tensor(new SpatialShape(5, 5, 5), 4);
        var cache = new KernelMapCache(new CpuKernelMapBuilder());
        var first = cache.GetOrBuild("subm1", input, Subm3);
        // The next layer has other features on the same sites.
        var second = cache.GetOrBuild("subm1", input.WithFeatures(random.Normal(input.Count * 8), 8), Subm3);
        Assert.Same(first, second);
        Assert.Equal(1, cache.Builds);
        Assert.Equal(1, cache.Hits);
    }

    [Fact]
    public void A_key_reused_for_another_geometry_or_other_sites_is_an_error()
    {
        var random = new RandomSparse();
        var input = random.Tensor(new SpatialShape(5, 5, 5), 2);
        var other = random.Tensor(new SpatialShape(5, 5, 5), 2, density: 0.5);
        var cache = new KernelMapCache(new CpuKernelMapBuilder());
        cache.GetOrBuild("subm1", input, Subm3);
        Assert.Contains("holds a map for SubManifold kernel 3",
            Assert.Throws<InvalidOperationException>(() => cache.GetOrBuild("subm1", input, ConvGeometry.Uniform(ConvKind.SubManifold, 5))).Message);
        Assert.Contains("other input sites",
            Assert.Throws<InvalidOperationException>(() => cache.GetOrBuild("subm1", other, Subm3)).Message);
    }

    [Fact]
    public void Inverse_maps_need_the_forward_key_and_are_cached()
    {
        var random = new RandomSparse();
        var input = random.Tensor(new SpatialShape(6, 6, 6), 2);
        var cache = new KernelMapCache(new CpuKernelMapBuilder());
        Assert.Contains("no kernel map under indice key 'down1'", Assert.Throws<KeyNotFoundException>(() => cache.GetInverse("down1")).Message);
        var forward = cache.GetOrBuild("down1", input, ConvGeometry.Uniform(ConvKind.Sparse, 3, 2, 1));
        var inverse = cache.GetInverse("down1");
        Assert.Same(inverse, cache.GetInverse("down1"));
        Assert.Equal(ConvKind.Inverse, inverse.Geometry.Kind);
        Assert.Equal(forward.PairCount, inverse.PairCount); // the inverse is the transpose: the same pairs
        Assert.Equal(input.Count, inverse.OutputCount);
    }
}
