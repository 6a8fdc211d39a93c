using KernelGen.Kernels;
using KernelGen.Networks;

namespace KernelGen.Models;

/// <summary>
/// The weights a command runs a network with, chosen one way for the CLI and the main job: a safetensors checkpoint (or
/// an ONNX model in NVIDIA's sparse-conv schema, read as <see cref="Onnx.OnnxImport"/> reads it), or
/// synthetic weights — with BatchNorm statistics measured on the shipped capture's revolutions after the held-out one
/// (never the default held-out scan), in the network's own voxel config, so every command gets the same weights and a
/// profile made by one fits the others — or with random statistics.
/// </summary>
public static class ModelWeights
{
    /// <summary>The weights and how a report names them.</summary>
    public static (IReadOnlyDictionary<string, ConvWeights> Weights, string Description) Load(
        ValidatedNetwork network, string? checkpoint, SyntheticStatistics synthetic, NetworkRunner runner)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (checkpoint is not null && checkpoint.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
        {
            // NVIDIA's export read in place: the weights `kernelgen import-onnx` would write, bit for bit.
            return (Onnx.OnnxImport.Read(checkpoint, network).Weights, $"ONNX model {Path.GetFileName(checkpoint)}");
        }
        if (checkpoint is not null)
        {
            return (NetworkWeights.FromSafeTensors(network, checkpoint), $"checkpoint {Path.GetFileName(checkpoint)}");
        }
        var revolutions = ShippedCapture.Revolutions().Skip(1).ToList();
        var weights = NetworkWeights.Synthetic(synthetic, runner, network, revolutions.Select(r => network.Voxelize(r.Cloud)).ToList());
        string source = $"the shipped capture's revolutions {string.Join(", ", revolutions.Select(r => r.Name[(r.Name.IndexOf('#') + 1)..]))}";
        return (weights, NetworkWeights.Describe(synthetic, source));
    }
}
