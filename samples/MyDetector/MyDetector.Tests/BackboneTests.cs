using KernelGen;
using KernelGen.Accelerators;
using KernelGen.Kernels;
using KernelGen.Networks;
using KernelGen.Points;
using KernelGen.Variants;
using Xunit;

namespace MyDetector.Tests;

/// <summary>The backbone from its description: the JSON and the C# builder agree, and every node's chosen kernel matches the generic one.</summary>
public sealed class BackboneTests
{
    [Fact]
    public void The_json_and_the_builder_describe_the_same_network() =>
        Assert.Equal(Backbone.Describe(), NetworkJson.Load(Path.Combine(AppContext.BaseDirectory, "mydetector.json")));

    [Fact]
    public void Default_kernels_match_the_generic_kernels_on_every_node()
    {
        var network = NetworkValidator.Validate(Backbone.Describe());
        var random = new Random(3);
        var points = Enumerable.Range(0, 4000 * 4).Select(i => (float)(i % 4 switch
        {
            0 => random.NextDouble() * 10,
            1 => random.NextDouble() * 10 - 5,
            2 => random.NextDouble() * 2 - 1.5,
            _ => random.NextDouble(),
        })).ToArray();
        var voxels = Voxelizer.Voxelize(new PointCloud(points, "test"), network.Voxels).Tensor;
        using var session = AcceleratorSession.Open(AcceleratorChoice.Cpu);
        using var runner = new NetworkRunner(session.Accelerator);
        var plan = runner.Plan(network, voxels);
        var weights = NetworkWeights.Synthetic(network);

        var chosen = runner.Run(plan, weights, runner.Defaults(plan, PrecisionPlan.F32), PrecisionPlan.F32, keepOutputs: true);
        var generic = runner.Run(plan, weights, network.Layers.Select(l => l.GenericKernel(Precision.F32)).ToList(), PrecisionPlan.F32, keepOutputs: true);
        foreach (var node in network.Network.Nodes)
        {
            var error = OutputComparison.Of(chosen.Outputs[node.Name].Features, generic.Outputs[node.Name].Features.Select(v => (double)v).ToArray());
            Assert.True(error.RelativeL2Error <= 1e-5, $"{node.Name}: relative L2 {error.RelativeL2Error} against the generic kernel");
        }
    }
}
