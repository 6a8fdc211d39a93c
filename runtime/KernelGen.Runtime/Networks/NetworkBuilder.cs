using KernelGen.Variants;

namespace KernelGen.Networks;

/// <summary>
/// Builds a <see cref="SparseNetwork"/> in C#: each <see cref="Conv"/> appends a node that reads the previous node's
/// output unless told otherwise.
/// </summary>
/// <example><code>
/// var net = new NetworkBuilder("mine", new NetworkInput("kitti", ["x", "y", "z", "intensity"]))
///     .Conv("conv_input", MyLayers.Stem.Layer, "subm1", weight: "backbone.conv_input.0.weight", batchNorm: "backbone.conv_input.1")
///     .Conv("down1", MyLayers.Down.Layer, "spconv2", weight: "backbone.down1.0.weight", batchNorm: "backbone.down1.1")
///     .Build();
/// </code></example>
public sealed class NetworkBuilder(string name, NetworkInput input)
{
    private readonly List<NetworkNode> _nodes = [];

    /// <summary>Appends a conv node run by <paramref name="layer"/>.</summary>
    /// <param name="name">Unique node name.</param>
    /// <param name="layer">The generated layer (its <c>Layer</c> descriptor).</param>
    /// <param name="indiceKey">Kernel-map sharing key.</param>
    /// <param name="weight">Checkpoint name of the conv weight.</param>
    /// <param name="bias">Checkpoint name of the conv bias, if any.</param>
    /// <param name="batchNorm">Checkpoint prefix of the BatchNorm folded into it, if any.</param>
    /// <param name="from">The node it reads (default: the previous node, or the input for the first).</param>
    /// <param name="residual">A node whose output is added before the activation.</param>
    public NetworkBuilder Conv(
        string name, LayerDescriptor layer, string indiceKey, string weight, string? bias = null, string? batchNorm = null,
        string? from = null, string? residual = null)
    {
        ArgumentNullException.ThrowIfNull(layer);
        _nodes.Add(new NetworkNode(name, layer.Name, indiceKey, from ?? (_nodes.Count == 0 ? SparseNetwork.InputName : _nodes[^1].Name),
            residual, new NodeWeights(weight, bias, batchNorm)));
        return this;
    }

    /// <summary>The network (not yet validated: see <see cref="NetworkValidator"/>).</summary>
    public SparseNetwork Build() => new(name, input, _nodes.ToList());
}
