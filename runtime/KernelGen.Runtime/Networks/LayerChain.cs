using KernelGen.Variants;

namespace KernelGen.Networks;

/// <summary>One layer of a <see cref="LayerChain"/>: its node's name in the description and its generated layer.</summary>
public sealed record ChainedLayer(string Node, LayerDescriptor Layer)
{
    /// <summary>e.g. <c>SubM 16 → 32, k(3,3,3) s(1,1,1)</c>.</summary>
    public string Shape =>
        $"{(Layer.Geometry.Kind == ConvKind.SubManifold ? "SubM" : Layer.Geometry.Kind.ToString())} {Layer.InChannels} → {Layer.OutChannels}, {Layer.Geometry.Kernel} s{Layer.Geometry.Stride}";
}

/// <summary>
/// Layers to study one at a time, taken from a network description rather than written into a tool (the CLI's
/// <c>demo</c>, the quantization study): a chain of nodes in description order where each one's input channels are the
/// previous one's output channels, so each can run on the previous one's output without the rest of the network.
/// </summary>
public static class LayerChain
{
    /// <summary>
    /// The first node, then in order the next node of each new (kind, Cin, Cout) shape that <paramref name="take"/>
    /// accepts and that continues the chain, up to <paramref name="count"/> nodes.
    /// </summary>
    public static IReadOnlyList<ChainedLayer> Of(ValidatedNetwork network, int count, Func<LayerDescriptor, bool>? take = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        var chain = new List<ChainedLayer>();
        var seen = new HashSet<(ConvKind, int, int)>();
        for (int i = 0; i < network.Layers.Count && chain.Count < count; i++)
        {
            var layer = network.Layers[i];
            bool continues = chain.Count == 0 || chain[^1].Layer.OutChannels == layer.InChannels;
            if (continues && (chain.Count == 0 || take is null || take(layer)) && seen.Add((layer.Geometry.Kind, layer.InChannels, layer.OutChannels)))
            {
                chain.Add(new ChainedLayer(network.Network.Nodes[i].Name, layer));
            }
        }
        return chain;
    }
}
