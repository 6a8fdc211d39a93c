using KernelGen.Kernels;

namespace KernelGen.Networks;

/// <summary>
/// One node's deterministic synthetic parameters before folding: a fan-in scaled uniform conv without bias (a node that
/// adds a residual × 0.5, so blocks stay stable), BatchNorm γ ∈ [0.5, 1.5] and β ≈ ±0.1, and random running statistics
/// (mean ≈ ±0.1, variance ∈ [0.5, 1.5]) for the weights that use them. Two output channels of every node get γ × 8:
/// the few large-activation channels trained LiDAR networks show, which is what SmoothQuant is for.
/// </summary>
internal sealed record SyntheticDraw(string Node, ConvWeights Conv, float[] Gamma, float[] Beta, float[] RandomMean, float[] RandomVariance)
{
    /// <summary>Every node's draw, in node order, from one generator seeded with <paramref name="seed"/>.</summary>
    public static IReadOnlyList<SyntheticDraw> Of(ValidatedNetwork network, int seed)
    {
        var random = new Random(seed);
        var draws = new List<SyntheticDraw>();
        for (int i = 0; i < network.Layers.Count; i++)
        {
            var node = network.Network.Nodes[i];
            var layer = network.Layers[i];
            int cout = layer.OutChannels;
            var conv = ConvWeights.FanIn(random, cout, layer.Geometry.Kernel, layer.InChannels, bias: false, gain: node.Residual is null ? 1.0 : 0.5);
            float[] gamma = new float[cout], beta = new float[cout], mean = new float[cout], variance = new float[cout];
            for (int n = 0; n < cout; n++)
            {
                gamma[n] = (float)(0.5 + random.NextDouble());
                beta[n] = (float)((random.NextDouble() * 2 - 1) * 0.1);
                mean[n] = (float)((random.NextDouble() * 2 - 1) * 0.1);
                variance[n] = (float)(0.5 + random.NextDouble());
            }
            gamma[1 % cout] *= 8;
            gamma[cout / 2] *= 8;
            draws.Add(new SyntheticDraw(node.Name, conv, gamma, beta, mean, variance));
        }
        return draws;
    }
}
