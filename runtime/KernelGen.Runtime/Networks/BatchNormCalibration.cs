using KernelGen.Kernels;
using KernelGen.Quantization;
using KernelGen.Tensors;
using KernelGen.Tuning;
using KernelGen.Variants;

namespace KernelGen.Networks;

/// <summary>
/// Sets every BatchNorm's running statistics from the data, node by node, the way BN training ends up holding them: a
/// node's conv (its raw weights, no bias) runs in fp32 on every calibration scan, fed by the nodes before it with
/// their BNs already set, and the per-channel mean and variance of those pre-BN outputs over all sites become the
/// running mean and variance; then the BN is folded and the node's output (residual added, activation applied) feeds
/// the nodes after it.
/// </summary>
/// <remarks>
/// The conv runs through the layer's own default fp32 kernel, whose activation is baked in (<see cref="PreActivation"/>
/// undoes it exactly). The fold and the epilogue are applied on the host in double.
/// </remarks>
internal static class BatchNormCalibration
{
    public static IReadOnlyDictionary<string, ConvWeights> Fold(
        NetworkRunner runner, ValidatedNetwork network, IReadOnlyList<SparseTensor> scans, IReadOnlyList<SyntheticDraw> draws, double epsilon)
    {
        var plans = scans.Where(s => s.Count > 0).Select(s => runner.Plan(network, s)).ToList();
        var outputs = plans.Select(p => new Dictionary<string, float[]>(StringComparer.Ordinal) { [SparseNetwork.InputName] = p.Input.Features }).ToList();
        var lastUse = network.Network.LastReaders();
        var weights = new Dictionary<string, ConvWeights>(StringComparer.Ordinal);
        for (int i = 0; i < network.Layers.Count; i++)
        {
            var node = network.Network.Nodes[i];
            var layer = network.Layers[i];
            var draw = draws[i];
            int cout = layer.OutChannels;
            var kernel = DefaultVariantChoice.Pick(layer, Precision.F32, runner.Accelerator);
            var positive = new LayerWeights(draw.Conv);
            var negative = new LayerWeights(draw.Conv.Negated());

            // Pre-BN outputs of every scan, and their per-channel sums over every site of every scan.
            var sums = new double[cout];
            var squares = new double[cout];
            long rows = 0;
            var preActivations = new List<float[]>();
            foreach (var (plan, live) in plans.Zip(outputs))
            {
                var map = plan.Nodes[i].Map;
                var input = live[node.From];
                var z = PreActivation.Of(kernel, runner.Accelerator, map, layer.Activation, positive, negative, input);
                for (int j = 0; j < z.Length; j++)
                {
                    sums[j % cout] += z[j];
                    squares[j % cout] += (double)z[j] * z[j];
                }
                rows += map.OutputCount;
                preActivations.Add(z);
            }
            var mean = new float[cout];
            var variance = new float[cout];
            for (int n = 0; n < cout; n++)
            {
                double m = rows > 0 ? sums[n] / rows : 0;
                mean[n] = (float)m;
                variance[n] = rows > 0 ? (float)Math.Max(0, squares[n] / rows - m * m) : 1f;
            }
            var folded = BatchNormFolding.Fold(draw.Conv, draw.Gamma, draw.Beta, mean, variance, epsilon);
            weights[node.Name] = folded;

            // The node's output from its pre-BN one: y = act(γ (z − μ) / √(σ² + ε) + β + residual).
            var scale = Enumerable.Range(0, cout).Select(n => draw.Gamma[n] / Math.Sqrt(variance[n] + epsilon)).ToArray();
            foreach (var (z, live) in preActivations.Zip(outputs))
            {
                var residual = node.Residual is { } r ? live[r] : null;
                for (int j = 0; j < z.Length; j++)
                {
                    int n = j % cout;
                    double y = (z[j] - mean[n]) * scale[n] + draw.Beta[n] + (residual?[j] ?? 0.0);
                    z[j] = (float)(layer.Activation == Activation.Relu ? Math.Max(y, 0.0) : y);
                }
                live[node.Name] = z;
                foreach (var name in live.Keys.Where(k => k != node.Name && lastUse.GetValueOrDefault(k, -1) <= i).ToList())
                {
                    live.Remove(name);
                }
            }
        }
        return weights;
    }
}
