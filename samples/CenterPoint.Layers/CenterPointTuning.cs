using KernelGen.Models.CenterPoint;
using KernelGen.KernelMaps;
using KernelGen.Tensors;
using KernelGen.Variants;

namespace KernelGen.Samples.CenterPoint;

/// <summary>One tuning of the backbone: a generated layer at a precision on the sites and map its layers run on.</summary>
/// <param name="Layers">The layer names it serves.</param>
/// <param name="Generated">The generated layer class.</param>
/// <param name="Precision">fp32 or W8A8.</param>
/// <param name="Input">Its input sites (random features).</param>
/// <param name="Map">Its kernel map.</param>
/// <param name="Residual">Whether its layers add a residual (a block's second conv): only kernels with a residual input compete.</param>
public sealed record TuningGroup(IReadOnlyList<string> Layers, LayerDescriptor Generated, Precision Precision, SparseTensor Input, KernelMap Map, bool Residual = false)
{
    /// <summary>What the group's layers need from a kernel.</summary>
    public KernelGen.Kernels.KernelNeeds Needs => new(Precision, Residual);

    /// <summary>"conv1.0.conv1 (+3)".</summary>
    public string Label => Layers.Count == 1 ? Layers[0] : $"{Layers[0]} (+{Layers.Count - 1})";
}

/// <summary>
/// The backbone's tunings: layers that share a kernel map, a shape and an epilogue (the SubM convs of a stage without,
/// and those with a residual) share one tuning, as TorchSparse++ groups them; each at fp32, and at W8A8 when the layer
/// class has W8A8 kernels.
/// </summary>
public static class CenterPointTuning
{
    /// <summary>The groups for <paramref name="voxels"/> (timing depends on sites, not values: features are random).</summary>
    public static IReadOnlyList<TuningGroup> Groups(SparseTensor voxels, KernelMapCache? maps = null)
    {
        maps ??= new KernelMapCache(new CpuKernelMapBuilder());
        var groups = new Dictionary<(string, string, bool), (List<string> Names, LayerDescriptor Generated, SparseTensor Input, KernelMap Map)>();
        var sites = voxels;
        var random = new Random(3);
        foreach (var layer in CenterPointLayers.All)
        {
            var map = maps.GetOrBuild(layer.IndiceKey, sites, layer.Geometry);
            var key = (layer.Generated.Name, layer.IndiceKey, layer.AddsResidual);
            if (!groups.TryGetValue(key, out var group))
            {
                var features = new float[sites.Count * layer.InChannels];
                for (int i = 0; i < features.Length; i++)
                {
                    features[i] = (float)random.NextDouble();
                }
                group = ([], layer.Generated, new SparseTensor(features, sites.Coordinates, layer.InChannels, sites.SpatialShape, sites.BatchSize), map);
                groups[key] = group;
            }
            group.Names.Add(layer.Name);
            if (layer.Geometry.Kind == KernelGen.ConvKind.Sparse)
            {
                sites = new SparseTensor(new float[map.OutputCount], map.OutputCoordinates, 1, map.OutputShape, map.BatchSize);
            }
        }
        var result = new List<TuningGroup>();
        foreach (var ((_, _, residual), (names, generated, input, map)) in groups)
        {
            result.Add(new TuningGroup(names, generated, Precision.F32, input, map, residual));
            if (generated.Quantization == KernelGen.QuantMode.W8A8)
            {
                result.Add(new TuningGroup(names, generated, Precision.W8A8, input, map, residual));
            }
        }
        return result;
    }
}
