using KernelGen.Networks;

namespace MyDetector;

/// <summary>The same network as mydetector.json, built in C# (either way validates into the same description).</summary>
public static class Backbone
{
    public static SparseNetwork Describe() =>
        new NetworkBuilder("mydetector", new NetworkInput("kitti", ["x", "y", "z", "intensity"]))
            .Conv("stem", Stem.Layer, "subm1", weight: "backbone.stem.0.weight", batchNorm: "backbone.stem.1")
            .Conv("down", Down.Layer, "spconv2", weight: "backbone.down.0.weight", batchNorm: "backbone.down.1")
            .Conv("block.conv1", Block.Layer, "subm2", weight: "backbone.block.conv1.weight", bias: "backbone.block.conv1.bias")
            .Conv("block.conv2", Block.Layer, "subm2", weight: "backbone.block.conv2.weight", bias: "backbone.block.conv2.bias", residual: "down")
            .Build();
}
