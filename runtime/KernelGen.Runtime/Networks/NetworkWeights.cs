using KernelGen.IO;
using KernelGen.Kernels;
using KernelGen.Quantization;
using KernelGen.Tensors;

namespace KernelGen.Networks;

/// <summary>Which BatchNorm running statistics synthetic weights carry (no trained checkpoint can be downloaded here).</summary>
public enum SyntheticStatistics
{
    /// <summary>
    /// Measured: every BatchNorm's running mean and variance are those of its conv's fp32 outputs on calibration scans,
    /// layer by layer, as a trained network's BN holds them — so each channel enters its activation near N(β, γ²).
    /// </summary>
    Calibrated,

    /// <summary>Random: running mean ≈ ±0.1, variance ∈ [0.5, 1.5], whatever the activations are (activations grow layer by layer).</summary>
    Random,
}

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
                    ? FoldNamed(norm, () => BatchNormFolding.Fold(conv,
                        SafeTensors.Require(tensors, norm + ".weight", layer.OutChannels).Data,
                        SafeTensors.Require(tensors, norm + ".bias", layer.OutChannels).Data,
                        SafeTensors.Require(tensors, norm + ".running_mean", layer.OutChannels).Data,
                        SafeTensors.Require(tensors, norm + ".running_var", layer.OutChannels).Data))
                    : conv;
            }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidDataException or KeyNotFoundException)
            {
                throw new ArgumentException($"node {node.Name}: {e.Message}", e);
            }
        }
        return weights;
    }

    /// <summary>Folds, naming the BatchNorm's tensors (<c>bn1.running_var</c>, not "BatchNorm running_var") in an error.</summary>
    private static ConvWeights FoldNamed(string norm, Func<ConvWeights> fold)
    {
        try
        {
            return fold();
        }
        catch (ArgumentException e) when (e.Message.StartsWith("BatchNorm ", StringComparison.Ordinal))
        {
            throw new ArgumentException($"{norm}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Deterministic weights with random BatchNorm statistics (<see cref="SyntheticStatistics.Random"/>): the draw of
    /// <see cref="SyntheticDraw"/> folded with running mean ≈ ±0.1 and variance ∈ [0.5, 1.5]. Needs no data; its
    /// activations grow through the network, unlike a trained one's (use <see cref="Calibrated"/> for those).
    /// </summary>
    public static IReadOnlyDictionary<string, ConvWeights> Synthetic(ValidatedNetwork network, int seed = 2024)
    {
        ArgumentNullException.ThrowIfNull(network);
        return SyntheticDraw.Of(network, seed).ToDictionary(
            d => d.Node, d => BatchNormFolding.Fold(d.Conv, d.Gamma, d.Beta, d.RandomMean, d.RandomVariance, BatchNormEpsilon), StringComparer.Ordinal);
    }

    /// <summary>
    /// The same draw with measured BatchNorm statistics (<see cref="SyntheticStatistics.Calibrated"/>): node by node,
    /// each conv runs in fp32 on <paramref name="scans"/> (voxels, as the voxelizer gives them) fed by the nodes before
    /// it, already calibrated, and its BN's running mean and variance become those of its outputs over every site —
    /// what BN training converges to. Deterministic for given scans and seed.
    /// </summary>
    public static IReadOnlyDictionary<string, ConvWeights> Calibrated(
        NetworkRunner runner, ValidatedNetwork network, IReadOnlyList<SparseTensor> scans, int seed = 2024)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(scans);
        if (scans.Count == 0 || scans.All(s => s.Count == 0))
        {
            throw new ArgumentException("calibrated synthetic weights need at least one scan with voxels");
        }
        return BatchNormCalibration.Fold(runner, network, scans, SyntheticDraw.Of(network, seed), BatchNormEpsilon);
    }

    /// <summary><see cref="Calibrated"/> or <see cref="Synthetic(ValidatedNetwork, int)"/>, by <paramref name="statistics"/>.</summary>
    public static IReadOnlyDictionary<string, ConvWeights> Synthetic(
        SyntheticStatistics statistics, NetworkRunner runner, ValidatedNetwork network, IReadOnlyList<SparseTensor> scans, int seed = 2024) =>
        statistics == SyntheticStatistics.Calibrated ? Calibrated(runner, network, scans, seed) : Synthetic(network, seed);

    /// <summary>How the report names synthetic weights of <paramref name="statistics"/>.</summary>
    public static string Describe(SyntheticStatistics statistics, string? calibrationSource = null) => statistics switch
    {
        SyntheticStatistics.Calibrated => $"synthetic, BatchNorm statistics measured on {calibrationSource ?? "the calibration scans"} (fan-in scaled, outlier channels)",
        _ => "synthetic, random BatchNorm statistics (fan-in scaled, outlier channels)",
    };
}

/// <summary>The <c>--synthetic</c> option's values, shared by the CLI and the main job.</summary>
public static class SyntheticWeightsOption
{
    /// <summary><c>calibrated</c> or <c>random</c>; anything else is an error naming the choices.</summary>
    public static SyntheticStatistics Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "calibrated" => SyntheticStatistics.Calibrated,
        "random" => SyntheticStatistics.Random,
        _ => throw new ArgumentException($"--synthetic '{text}': give calibrated (BatchNorm statistics measured on data) or random"),
    };
}
