namespace KernelGen.Networks;

/// <summary>
/// A sparse network as data: what it reads (a voxel config and the voxel features it takes, in order) and its nodes in
/// execution order. Conv nodes with an optional residual describe CenterPoint's and SECOND's backbones; the node
/// <see cref="NetworkNode.Op"/> keeps the format open for other operators (add, concat) later. Built in C#
/// (<see cref="NetworkBuilder"/>) or read from JSON (<see cref="NetworkJson"/>); <see cref="NetworkValidator"/> checks
/// it against the generated layer classes before anything runs.
/// </summary>
/// <param name="Name">The network's name, e.g. <c>centerpoint</c>.</param>
/// <param name="Input">Voxelization and input features.</param>
/// <param name="Nodes">The nodes, in the order they run.</param>
public sealed record SparseNetwork(string Name, NetworkInput Input, IReadOnlyList<NetworkNode> Nodes)
{
    /// <summary>The name a node uses to read the network input.</summary>
    public const string InputName = "input";

    /// <summary>The node named <paramref name="name"/>, or null.</summary>
    public NetworkNode? Find(string name) => Nodes.FirstOrDefault(n => n.Name == name);

    /// <summary>
    /// For each output name (a node's, or <see cref="InputName"/>), the index of the last node that reads it as input or
    /// residual: after that node runs, a run can let the output go.
    /// </summary>
    public IReadOnlyDictionary<string, int> LastReaders()
    {
        var last = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < Nodes.Count; i++)
        {
            last[Nodes[i].From] = i;
            if (Nodes[i].Residual is { } residual)
            {
                last[residual] = i;
            }
        }
        return last;
    }

    /// <summary>Value equality over the nodes' values.</summary>
    public bool Equals(SparseNetwork? other) =>
        other is not null && Name == other.Name && Input == other.Input && Nodes.SequenceEqual(other.Nodes);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Name, Input, Nodes.Count);
}

/// <summary>What the network reads: voxels of a preset config (<c>nusc</c>, <c>kitti</c>) or an explicit range and size, and
/// which voxel features, in order (of <c>x, y, z, intensity, time</c>).</summary>
/// <param name="Voxels">A preset name, or null when <see cref="Range"/> and <see cref="VoxelSize"/> are given.</param>
/// <param name="Features">The input features, e.g. <c>[x, y, z, intensity]</c>.</param>
/// <param name="Range">min x, y, z, max x, y, z (metres), or null for a preset.</param>
/// <param name="VoxelSize">Voxel size x, y, z (metres), or null for a preset.</param>
/// <param name="IntensityMax">
/// The intensity full scale the model was trained on (nuScenes and Velodyne: 255; OpenPCDet's KITTI: 1, reflectance):
/// readers scale every scan's intensity to it. Null when the description does not say (intensities pass unscaled,
/// and the run summary says so).
/// </param>
public sealed record NetworkInput(
    string? Voxels, IReadOnlyList<string> Features, IReadOnlyList<double>? Range = null, IReadOnlyList<double>? VoxelSize = null, double? IntensityMax = null)
{
    /// <summary>The voxel features the voxelizer produces, in its channel order.</summary>
    public static IReadOnlyList<string> KnownFeatures { get; } = ["x", "y", "z", "intensity", "time"];

    /// <summary>Value equality over the lists' values.</summary>
    public bool Equals(NetworkInput? other) =>
        other is not null && Voxels == other.Voxels && Features.SequenceEqual(other.Features)
        && (Range ?? []).SequenceEqual(other.Range ?? []) && (VoxelSize ?? []).SequenceEqual(other.VoxelSize ?? [])
        && IntensityMax == other.IntensityMax;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Voxels, Features.Count);
}

/// <summary>One node: a sparse conv run by a generated layer class.</summary>
/// <param name="Name">Unique name, e.g. <c>conv2.0.conv1</c>.</param>
/// <param name="Layer">The generated layer class (its full name, as registered in <c>GeneratedLayers</c>).</param>
/// <param name="IndiceKey">spconv's indice key: nodes with the same key share one kernel map.</param>
/// <param name="From">The node whose output this node reads, or <c>input</c>.</param>
/// <param name="Residual">A node whose output is added before the activation (same sites and channels), or null.</param>
/// <param name="Weights">Checkpoint tensor names of the conv (and its BatchNorm, folded on load).</param>
/// <param name="Op">The operator; only <c>conv</c> today.</param>
public sealed record NetworkNode(string Name, string Layer, string IndiceKey, string From, string? Residual, NodeWeights Weights, string Op = "conv");

/// <summary>Where a node's weights are in a checkpoint (state-dict names).</summary>
/// <param name="Weight">The conv weight [Cout, kD, kH, kW, Cin] (spconv's layout).</param>
/// <param name="Bias">The conv bias [Cout], or null.</param>
/// <param name="BatchNorm">The BatchNorm prefix (<c>.weight</c>, <c>.bias</c>, <c>.running_mean</c>, <c>.running_var</c>), or null.</param>
public sealed record NodeWeights(string Weight, string? Bias = null, string? BatchNorm = null);
