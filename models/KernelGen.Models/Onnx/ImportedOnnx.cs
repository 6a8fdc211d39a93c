using KernelGen.IO;
using KernelGen.Kernels;
using KernelGen.Networks;
using KernelGen.Profiles;

namespace KernelGen.Models.Onnx;

/// <summary>One description node's conv as the ONNX graph gave it: BatchNorm-folded weights and, after PTQ, NVIDIA's int8 decision.</summary>
/// <param name="Node">The description node.</param>
/// <param name="OnnxNode">The ONNX node it came from.</param>
/// <param name="Weights">Weights [Cout, kD, kH, kW, Cin] (z, y, x) and bias, BatchNorm folded in.</param>
/// <param name="Precision"><c>int8</c> or <c>fp16</c> in a PTQ export, else null.</param>
/// <param name="InputAmax">NVIDIA's amax of the input activations, or null.</param>
/// <param name="WeightAmax">NVIDIA's amax of each output channel's weights, or null.</param>
public sealed record ImportedConv(string Node, string OnnxNode, ConvWeights Weights, string? Precision, float? InputAmax, float[]? WeightAmax)
{
    /// <summary>
    /// The largest relative difference between NVIDIA's weight amax and the weights' own max |w| over the output
    /// channels (KernelGen quantizes each channel by its max |w|: a QAT-learned, clipped amax differs), or null.
    /// </summary>
    public double? WeightAmaxDeviation => WeightAmax is null ? null
        : Enumerable.Range(0, Weights.OutChannels).Max(n =>
        {
            int per = Weights.Data.Length / Weights.OutChannels;
            double max = 0;
            for (int i = 0; i < per; i++)
            {
                max = Math.Max(max, Math.Abs(Weights.Data[n * per + i]));
            }
            return max == 0 ? 0 : Math.Abs(WeightAmax[n] - max) / max;
        });
}

/// <summary>
/// A sparse backbone read from an ONNX graph onto a description (<see cref="OnnxImport"/>): each node's folded weights,
/// written as a checkpoint under the description's tensor names, and — from a PTQ export — NVIDIA's int8 scales.
/// </summary>
/// <param name="Source">The model's file name.</param>
/// <param name="Convs">One entry per description node, in its order.</param>
/// <param name="AxisOrder">The graph's axis order (Zyx or Xyz).</param>
/// <param name="InputGrid">The first conv's <c>input_spatial_shape</c> in (z, y, x), or null when the graph does not say.</param>
public sealed record ImportedOnnx(string Source, IReadOnlyList<ImportedConv> Convs, OnnxAxisOrder AxisOrder, KernelGen.KernelMaps.Triple? InputGrid = null)
{
    /// <summary>Whether the graph carries PTQ attributes (NVIDIA's <c>*.PTQ.onnx</c>): every conv has a precision.</summary>
    public bool Quantized => Convs.All(c => c.Precision is not null);

    /// <summary>Each node's weights, by node name, as the runner takes them.</summary>
    public IReadOnlyDictionary<string, ConvWeights> Weights => Convs.ToDictionary(c => c.Node, c => c.Weights, StringComparer.Ordinal);

    /// <summary>
    /// The checkpoint tensors under <paramref name="network"/>'s names: the weight; the bias under the node's bias name,
    /// or as its BatchNorm's β when it names only a BatchNorm; a named BatchNorm written as the identity (γ 1, mean 0,
    /// variance 1 − ε, so folding it on load gives back exactly these weights). A bias with nowhere to go is an error.
    /// </summary>
    public IReadOnlyList<SafeTensor> CheckpointTensors(ValidatedNetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        var tensors = new List<SafeTensor>();
        foreach (var conv in Convs)
        {
            var node = network.Network.Find(conv.Node) ?? throw new ArgumentException($"the network has no node {conv.Node}");
            var w = conv.Weights;
            tensors.Add(new SafeTensor(node.Weights.Weight, [w.OutChannels, w.Kernel.Z, w.Kernel.Y, w.Kernel.X, w.InChannels], w.Data));
            var bias = w.Bias ?? new float[w.OutChannels];
            if (node.Weights.Bias is { } biasName)
            {
                tensors.Add(new SafeTensor(biasName, [w.OutChannels], bias));
            }
            if (node.Weights.BatchNorm is { } norm)
            {
                float variance = (float)(1 - NetworkWeights.BatchNormEpsilon);
                tensors.Add(new SafeTensor(norm + ".weight", [w.OutChannels], Enumerable.Repeat(1f, w.OutChannels).ToArray()));
                tensors.Add(new SafeTensor(norm + ".bias", [w.OutChannels], node.Weights.Bias is null ? bias : new float[w.OutChannels]));
                tensors.Add(new SafeTensor(norm + ".running_mean", [w.OutChannels], new float[w.OutChannels]));
                tensors.Add(new SafeTensor(norm + ".running_var", [w.OutChannels], Enumerable.Repeat(variance, w.OutChannels).ToArray()));
            }
            else if (node.Weights.Bias is null && bias.Any(b => b != 0))
            {
                throw new InvalidDataException($"ONNX node {conv.OnnxNode} has a bias, but description node {conv.Node} names neither a bias nor a BatchNorm tensor to hold it");
            }
        }
        return tensors;
    }

    /// <summary>Writes <see cref="CheckpointTensors"/> as safetensors.</summary>
    public void WriteCheckpoint(ValidatedNetwork network, string path) => SafeTensors.Write(path, CheckpointTensors(network));

    /// <summary>NVIDIA's int8 decision per node (s8, scale amax / 127); an error for a graph without PTQ attributes.</summary>
    public IReadOnlyList<ExternalLayerScales> Scales => Quantized
        ? Convs.Select(c => new ExternalLayerScales(c.Node, c.Precision == "int8", c.InputAmax)).ToList()
        : throw new InvalidOperationException($"'{Source}' carries no PTQ attributes (precision, input_dynamic_range): export it with --use-quantization for a profile");
}
