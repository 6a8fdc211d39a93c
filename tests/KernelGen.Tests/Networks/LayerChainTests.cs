using KernelGen.KernelMaps;
using KernelGen.Models;
using KernelGen.Networks;
using KernelGen.Points;

namespace KernelGen.Tests.Networks;

/// <summary>The layers the single-layer tools study, and the one voxelization every tool uses.</summary>
public sealed class LayerChainTests
{
    [Fact]
    public void The_chain_takes_one_node_per_shape_each_reading_what_the_one_before_writes()
    {
        var network = BuiltInModels.Load("centerpoint");
        var chain = LayerChain.Of(network, count: 4);
        Assert.Equal(["conv_input", "conv1.0.conv1", "conv2.down", "conv2.0.conv1"], chain.Select(c => c.Node));
        for (int i = 1; i < chain.Count; i++)
        {
            Assert.Equal(chain[i - 1].Layer.OutChannels, chain[i].Layer.InChannels);
        }
        Assert.Equal("SubM 5 → 16, 3 s1", chain[0].Shape);
        var strided = LayerChain.Of(network, 2, layer => layer.Geometry.Kind != ConvKind.SubManifold);
        Assert.Equal(["conv_input", "conv2.down"], strided.Select(c => c.Node));
        Assert.Single(LayerChain.Of(network, 1));
    }

    [Fact]
    public void Voxelizing_a_scan_with_no_point_in_range_is_an_error_naming_the_scan()
    {
        var network = BuiltInModels.Load("centerpoint");
        var far = new PointCloud([500f, 500f, 0f, 10f, 600f, -500f, 1f, 20f], "far.bin", "test", 255);
        var error = Assert.Throws<ArgumentException>(() => network.Voxelize(far));
        Assert.Contains("far.bin: no point of the scan lies in the nusc voxel range (2 points read)", error.Message);
        var near = new PointCloud([1f, 2f, 0f, 10f], "near.bin", "test", 255);
        Assert.Equal(1, network.Voxelize(near).Count);
    }
}
