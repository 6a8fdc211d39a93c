using KernelGen.IO;
using KernelGen.Kernels;
using KernelGen.Quantization;

namespace KernelGen.Networks;

/// <summary>
/// Every node's conv weights, BatchNorm folded in (eps 1e-3, spconv's default in CenterPoint and OpenPCDet), by node
/// name: from a safetensors checkpoint with the description's tensor names, or deterministic synthetic weights.
/// </summary>
public static class NetworkWeights
{
    /// <summary>BatchNorm epsilon used when folding.</summary>
    public const double BatchNormEpsilon = 1e-3;

    /// <summary>Reads and folds every node's weights; a missing or mis-shaped tensor is an error naming it and the node.</summary>
    public static IReadOnlyDictionary<string, ConvWeights> FromSafeTensors(ValidatedNetwork network, string path)
    {
        ArgumentNullException.ThrowIfNull(network);
        var tensors = SafeTensors.Read(path);
        var weights = new Dictionary<string, ConvWeights>(StringComparer.Ordinal);
        for (int i = 0; i < network.Layers.Count; i++)
        {
            var node = network.Network.Nodes[i];
            var layer = network.Layers[i];
            var k = layer.Geometry.Kernel;
            try
            {
                var weight = SafeTensors.Require(tensors, node.Weights.Weight, layer.OutChannels, k.Z, k.Y, k.X, layer.InChannels);
                float[]? bias = node.Weights.Bias is { } b ? SafeTensors.Require(tensors, b, layer.OutChannels).Data : null;
                var conv = new ConvWeights(weight.Data, layer.OutChannels, k, layer.InChannels, bias);
                weights[node.Name] = node.Weights.BatchNorm is { } norm
                    ? BatchNormFolding.Fold(conv,
                        SafeTensors.Require(tensors, norm + ".weight", layer.OutChannels).Data,
                        SafeTensors.Require(tensors, norm + ".bias", layer.OutChannels).Data,
                        SafeTensors.Require(tensors, norm + ".running_mean", layer.OutChannels).Data,
                        SafeTensors.Require(tensors, norm + ".running_var", layer.OutChannels).Data)
                    : conv;
            }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidDataException or KeyNotFoundException)
            {
                throw new ArgumentException($"node {node.Name}: {e.Message}", e);
            }
        }
        return weights;
    }

    /// <summary>
    /// Deterministic weights with realistic statistics: fan-in scaled convs (a node that adds a residual × 0.5, so blocks
    /// stay stable), BatchNorms with γ ∈ [0.5, 1.5], β and running mean ≈ ±0.1, variance ∈ [0.5, 1.5], folded; in every
    /// node two output channels get γ × 8 — the few large-activation channels trained LiDAR networks show, which is
    /// what SmoothQuant is for.
    /// </summary>
    public static IReadOnlyDictionary<string, ConvWeights> Synthetic(ValidatedNetwork network, int seed = 2024)
    {
        ArgumentNullException.ThrowIfNull(network);
        var random = new Random(seed);
        var weights = new Dictionary<string, ConvWeights>(StringComparer.Ordinal);
        for (int i = 0; i < network.Layers.Count; i++)
        {
            var node = network.Network.Nodes[i];
            var layer = network.Layers[i];
            int k = layer.Geometry.KernelVolume, cin = layer.InChannels, cout = layer.OutChannels;
            double bound = Math.Sqrt(3) * Math.Sqrt(2.0 / (k * cin)) * (node.Residual is null ? 1.0 : 0.5);
            var data = new float[cout * k * cin];
            for (int j = 0; j < data.Length; j++)
            {
                data[j] = (float)((random.NextDouble() * 2 - 1) * bound);
            }
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
            weights[node.Name] = BatchNormFolding.Fold(new ConvWeights(data, cout, layer.Geometry.Kernel, cin), gamma, beta, mean, variance);
        }
        return weights;
    }
}
