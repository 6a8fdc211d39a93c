using KernelGen.KernelMaps;
using KernelGen.Tensors;
using KernelGen.Variants;

namespace KernelGen.Networks;

/// <summary>One node of a planned network: its layer, kernel map and input sites.</summary>
/// <param name="Node">The description's node.</param>
/// <param name="Layer">Its generated layer.</param>
/// <param name="Map">Its kernel map (shared with the nodes of the same indice key).</param>
/// <param name="InputSites">The sites it reads (features unused: one zero channel), for tuning.</param>
public sealed record PlannedNode(NetworkNode Node, LayerDescriptor Layer, KernelMap Map, SparseTensor InputSites);

/// <summary>A network planned on one input: its voxels (the selected features) and every node's map.</summary>
/// <param name="Network">The validated network.</param>
/// <param name="Input">The network input [N, features].</param>
/// <param name="Nodes">Every node, in order.</param>
/// <param name="MapsMs">Time to plan: every distinct map built, the shared ones looked up.</param>
/// <param name="Maps">Each distinct map built for this plan: key, kind, method, sites, pairs, lookups, bytes and time.</param>
public sealed record NetworkPlan(
    ValidatedNetwork Network, SparseTensor Input, IReadOnlyList<PlannedNode> Nodes, double MapsMs, IReadOnlyList<KernelMapBuild> Maps)
{
    /// <summary>Distinct kernel maps built (one per indice key, and one per inverted key).</summary>
    public int MapsBuilt => Maps.Count;
}
