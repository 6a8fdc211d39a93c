using ILGPU.Runtime;
using KernelGen.Kernels;
using KernelGen.Tensors;
using KernelGen.Tuning;

namespace KernelGen.Networks;

/// <summary>A kernel per node of a plan: tuned on this device, or the default choice.</summary>
internal static class NetworkTuner
{
    /// <summary>Tunes once per (layer, kernel map, what the node needs of its kernel); nodes with the same key share the choice.</summary>
    public static IReadOnlyList<IConvKernel> Tune(
        NetworkPlan plan, PrecisionPlan precision, LayerTuner tuner, Action<PlannedNode, KernelChoice>? onTuned, Action<PlannedNode>? onNode, bool forceRetune)
    {
        var random = new Random(3);
        var chosen = new Dictionary<(string, string, KernelNeeds), IConvKernel>();
        var kernels = new List<IConvKernel>();
        foreach (var (node, needs) in plan.Nodes.Zip(precision.NeedsOf(plan)))
        {
            var key = (node.Layer.Name, node.Node.IndiceKey, needs);
            if (!chosen.TryGetValue(key, out var kernel))
            {
                // Timing depends on sites and shapes, not values: random features on the node's input sites.
                var features = new float[node.InputSites.Count * node.Layer.InChannels];
                for (int i = 0; i < features.Length; i++)
                {
                    features[i] = (float)random.NextDouble();
                }
                var sample = new SparseTensor(features, node.InputSites.Coordinates, node.Layer.InChannels, node.InputSites.SpatialShape, node.InputSites.BatchSize);
                var choice = tuner.Tune(node.Layer, needs, sample, node.Map, forceRetune);
                onTuned?.Invoke(node, choice);
                kernel = chosen[key] = choice.Kernel;
            }
            kernels.Add(kernel);
            onNode?.Invoke(node);
        }
        return kernels;
    }

    /// <summary>The default kernel of every node (<see cref="DefaultVariantChoice"/>).</summary>
    public static IReadOnlyList<IConvKernel> Defaults(NetworkPlan plan, PrecisionPlan precision, Accelerator accelerator) =>
        plan.Nodes.Zip(precision.NeedsOf(plan)).Select(n => DefaultVariantChoice.Pick(n.First.Layer, n.Second, accelerator)).ToList();
}
