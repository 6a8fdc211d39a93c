using KernelGen.Models.CenterPoint;
using KernelGen.IO;
using KernelGen.Kernels;
using KernelGen.KernelMaps;
using KernelGen.Quantization;

namespace KernelGen.Samples.CenterPoint;

/// <summary>
/// The backbone's 21 convs with their BatchNorms folded in (eps 1e-3), by layer name. From a checkpoint: CenterPoint's
/// state-dict names in a safetensors file (<c>backbone.conv_input.0.weight</c> [16, 3, 3, 3, 5] in spconv's layout,
/// <c>backbone.conv_input.1.running_mean</c>, block convs <c>backbone.conv1.0.conv1.{weight,bias}</c> with
/// <c>bn1</c>, strided convs <c>backbone.conv2.0.weight</c> with <c>backbone.conv2.1</c>, blocks after them at indices 3
/// and 4). Without one: deterministic synthetic weights (see <see cref="Synthetic"/>).
/// </summary>
public static class CenterPointWeights
{
    /// <summary>Layer name → (conv state-dict prefix, BatchNorm prefix, whether the conv has a bias).</summary>
    public static (string Conv, string Norm, bool ConvBias) StateDictNames(string layer)
    {
        if (layer == "conv_input" || layer == "extra_conv")
        {
            return ($"backbone.{layer}.0", $"backbone.{layer}.1", false);
        }
        var parts = layer.Split('.');
        if (parts.Length == 2 && parts[1] == "down")
        {
            return ($"backbone.{parts[0]}.0", $"backbone.{parts[0]}.1", false);
        }
        // conv{stage}.{block}.conv{j}: conv1's blocks are entries 0 and 1, later stages' follow conv, BN, ReLU (3 and 4).
        int block = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) + (parts[0] == "conv1" ? 0 : 3);
        string j = parts[2][^1..];
        return ($"backbone.{parts[0]}.{block}.conv{j}", $"backbone.{parts[0]}.{block}.bn{j}", true);
    }

    /// <summary>Reads and folds every layer from a safetensors checkpoint; errors name the missing or mis-shaped tensor.</summary>
    public static IReadOnlyDictionary<string, ConvWeights> FromSafeTensors(string path)
    {
        var tensors = SafeTensors.Read(path);
        var folded = new Dictionary<string, ConvWeights>();
        foreach (var layer in CenterPointLayers.All)
        {
            var (conv, norm, hasBias) = StateDictNames(layer.Name);
            var k = layer.Geometry.Kernel;
            var weight = SafeTensors.Require(tensors, conv + ".weight", layer.OutChannels, k.Z, k.Y, k.X, layer.InChannels);
            float[]? bias = hasBias && tensors.ContainsKey(conv + ".bias") ? SafeTensors.Require(tensors, conv + ".bias", layer.OutChannels).Data : null;
            var raw = new ConvWeights(weight.Data, layer.OutChannels, k, layer.InChannels, bias);
            folded[layer.Name] = BatchNormFolding.Fold(raw,
                SafeTensors.Require(tensors, norm + ".weight", layer.OutChannels).Data,
                SafeTensors.Require(tensors, norm + ".bias", layer.OutChannels).Data,
                SafeTensors.Require(tensors, norm + ".running_mean", layer.OutChannels).Data,
                SafeTensors.Require(tensors, norm + ".running_var", layer.OutChannels).Data);
        }
        return folded;
    }

    /// <summary>
    /// Deterministic weights with realistic statistics: He-style fan-in scaled convs (residual second convs scaled by
    /// 0.5 so blocks stay stable), BatchNorms with γ ∈ [0.5, 1.5], β ~ ±0.1, running statistics near (0, 1), folded;
    /// and in every layer two output channels get γ × 8 — the few large-activation channels trained LiDAR networks show,
    /// which is what SmoothQuant is for.
    /// </summary>
    public static IReadOnlyDictionary<string, ConvWeights> Synthetic(int seed = 2024)
    {
        var random = new Random(seed);
        var weights = new Dictionary<string, ConvWeights>();
        foreach (var layer in CenterPointLayers.All)
        {
            int k = layer.Geometry.KernelVolume, cin = layer.InChannels, cout = layer.OutChannels;
            double bound = Math.Sqrt(3) * Math.Sqrt(2.0 / (k * cin)) * (layer.AddsResidual ? 0.5 : 1.0);
            var data = new float[cout * k * cin];
            for (int i = 0; i < data.Length; i++)
            {
                data[i] = (float)((random.NextDouble() * 2 - 1) * bound);
            }
            float[] gamma = new float[cout], beta = new float[cout], mean = new float[cout], variance = new float[cout];
            for (int n = 0; n < cout; n++)
            {
                gamma[n] = (float)(0.5 + random.NextDouble());
                beta[n] = (float)((random.NextDouble() * 2 - 1) * 0.1);
                mean[n] = (float)((random.NextDouble() * 2 - 1) * 0.1);
                variance[n] = (float)(0.5 + random.NextDouble());
            }
            gamma[1] *= 8;
            gamma[cout / 2] *= 8;
            weights[layer.Name] = BatchNormFolding.Fold(new ConvWeights(data, cout, layer.Geometry.Kernel, cin), gamma, beta, mean, variance);
        }
        return weights;
    }
}
