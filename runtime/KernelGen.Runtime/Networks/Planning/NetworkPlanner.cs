using System.Diagnostics;
using KernelGen.KernelMaps;
using KernelGen.Tensors;

namespace KernelGen.Networks;

/// <summary>
/// Plans a validated network on one input: every node's kernel map through a cache keyed by indice key (nodes sharing
/// a key share the map), the sites each node reads carried from node to node once (and, by a device builder, uploaded
/// and hashed once for all the maps on them).
/// </summary>
internal static class NetworkPlanner
{
    public static NetworkPlan Plan(ValidatedNetwork network, SparseTensor voxels, KernelMapCache maps, bool inputFeatures = false)
    {
        var input = inputFeatures ? network.CheckInput(voxels) : network.InputFeatures(voxels);
        var clock = Stopwatch.StartNew();
        var sitesOf = new Dictionary<string, SparseTensor>(StringComparer.Ordinal) { [SparseNetwork.InputName] = Sites(input) };
        var nodes = new List<PlannedNode>();
        int listed = maps.Built.Count;
        try
        {
            for (int i = 0; i < network.Layers.Count; i++)
            {
                var node = network.Network.Nodes[i];
                var layer = network.Layers[i];
                var sites = sitesOf[node.From];
                var map = maps.GetOrBuild(node.IndiceKey, sites, layer.Geometry);
                map.EnsureOutputFits(layer.OutChannels);
                sitesOf[node.Name] = layer.Geometry.Kind == ConvKind.SubManifold
                    ? sites
                    : new SparseTensor(new float[map.OutputCount], map.OutputCoordinates, 1, map.OutputShape, map.BatchSize);
                nodes.Add(new PlannedNode(node, layer, map, sites));
            }
        }
        finally
        {
            maps.ReleaseBuildScratch(); // the sites the builder kept between this plan's maps (the maps keep their rulebooks)
        }
        return new NetworkPlan(network, input, nodes, clock.Elapsed.TotalMilliseconds, maps.Built.Skip(listed).ToList());
    }

    private static SparseTensor Sites(SparseTensor input) =>
        new(new float[input.Count], input.Coordinates, 1, input.SpatialShape, input.BatchSize);
}
