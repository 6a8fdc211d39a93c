using KernelGen.Points;
using KernelGen.Variants;

namespace KernelGen.Networks;

/// <summary>A network description that does not make sense; the message names the node.</summary>
public sealed class NetworkValidationException(string message) : Exception(KernelGen.IO.OneLine.Of(message, int.MaxValue));

/// <summary>
/// Checks a <see cref="SparseNetwork"/> completely before anything runs: input config and features, unique node names,
/// known operators, layer classes that exist (in the loaded assemblies' <see cref="GeneratedLayers"/>), inputs that name
/// an earlier node (so no cycles), channels that match between producer and consumer, residuals on the same sites with
/// the same channels, and indice keys shared only by convs of one geometry on the same sites.
/// </summary>
public static class NetworkValidator
{
    /// <summary>Validates <paramref name="network"/>, resolving layer classes with <paramref name="findLayer"/> (default: <see cref="GeneratedLayers"/>).</summary>
    public static ValidatedNetwork Validate(SparseNetwork network, Func<string, LayerDescriptor?>? findLayer = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        findLayer ??= GeneratedLayers.TryFind;
        // Names are echoed to terminals and reports: empty ones and control or bidi-reordering characters are refused.
        CheckName(network.Name, "the network's name", network.Name);
        foreach (var node in network.Nodes)
        {
            foreach (var (value, what) in new[] { (node.Name, "name"), (node.Layer, "layer"), (node.IndiceKey, "indiceKey"), (node.From, "from"),
                (node.Residual, "residual"), (node.Weights.Weight, "weights.weight"), (node.Weights.Bias, "weights.bias"), (node.Weights.BatchNorm, "weights.batchNorm") })
            {
                if (value is not null)
                {
                    CheckName(value, $"node {KernelGen.IO.OneLine.Of(node.Name)}: {what}", network.Name);
                }
            }
        }
        var voxels = VoxelsOf(network);
        var channels = new List<int>();
        foreach (var feature in network.Input.Features)
        {
            int index = NetworkInput.KnownFeatures.ToList().IndexOf(feature);
            if (index < 0)
            {
                throw new NetworkValidationException($"{network.Name}: input feature '{feature}' is not one of {string.Join(", ", NetworkInput.KnownFeatures)}");
            }
            if (channels.Contains(index))
            {
                throw new NetworkValidationException($"{network.Name}: input feature '{feature}' is listed twice");
            }
            channels.Add(index);
        }
        if (network.Input.IntensityMax is { } full && !(full > 0 && double.IsFinite(full)))
        {
            throw new NetworkValidationException($"{network.Name}: input intensityMax {full} must be positive (255 for nuScenes and Velodyne, 1 for KITTI reflectance)");
        }
        if (network.Nodes.Count == 0)
        {
            throw new NetworkValidationException($"{network.Name}: the network has no nodes");
        }

        // Per produced tensor: channels and the "site set" it lives on (a SubM conv keeps its input's sites, a sparse conv
        // makes new ones), so residuals and shared kernel maps can be checked without data.
        var produced = new Dictionary<string, (int Channels, string Sites)>(StringComparer.Ordinal)
        {
            [SparseNetwork.InputName] = (channels.Count, SparseNetwork.InputName),
        };
        var keys = new Dictionary<string, (KernelMaps.ConvGeometry Geometry, string Sites, string Node)>(StringComparer.Ordinal);
        var layers = new List<LayerDescriptor>();
        foreach (var node in network.Nodes)
        {
            string at = $"{network.Name}: node {node.Name}";
            if (string.IsNullOrWhiteSpace(node.Name) || node.Name == SparseNetwork.InputName)
            {
                throw new NetworkValidationException($"{network.Name}: a node may not be named '{node.Name}'");
            }
            if (produced.ContainsKey(node.Name))
            {
                throw new NetworkValidationException($"{at}: the name is used twice");
            }
            if (node.Op != "conv")
            {
                throw new NetworkValidationException($"{at}: unknown op '{node.Op}' (supported: conv)");
            }
            var layer = findLayer(node.Layer) ?? throw new NetworkValidationException(
                $"{at}: no generated layer class '{node.Layer}' is loaded (is the assembly with its [SparseConv3d] class given, e.g. --layers?)");
            if (!produced.TryGetValue(node.From, out var source))
            {
                throw new NetworkValidationException(network.Find(node.From) is null
                    ? $"{at}: reads '{node.From}', which is not a node of the network"
                    : $"{at}: reads '{node.From}', which runs later (or is itself): the nodes must be in execution order, without cycles");
            }
            if (source.Channels != layer.InChannels)
            {
                throw new NetworkValidationException($"{at}: {ShortName(layer)} takes Cin={layer.InChannels} but '{node.From}' gives {source.Channels} channels");
            }
            string sites = layer.Geometry.Kind == ConvKind.SubManifold ? source.Sites : node.Name;
            if (keys.TryGetValue(node.IndiceKey, out var shared))
            {
                if (!shared.Geometry.SameConvolutionAs(layer.Geometry) || shared.Sites != source.Sites)
                {
                    throw new NetworkValidationException(
                        $"{at}: indice key '{node.IndiceKey}' is shared with {shared.Node}, which is another conv ({shared.Geometry}) or runs on other sites; give it its own key");
                }
            }
            else
            {
                keys[node.IndiceKey] = (layer.Geometry, source.Sites, node.Name);
            }
            if (node.Residual is { } residual)
            {
                if (!produced.TryGetValue(residual, out var added))
                {
                    throw new NetworkValidationException($"{at}: residual '{residual}' is not an earlier node");
                }
                if (added.Channels != layer.OutChannels || added.Sites != sites)
                {
                    throw new NetworkValidationException(
                        $"{at}: residual '{residual}' has {added.Channels} channels on {(added.Sites == sites ? "the same" : "other")} sites; it must match this node's output ({layer.OutChannels} channels on its output sites)");
                }
            }
            produced[node.Name] = (layer.OutChannels, sites);
            layers.Add(layer);
        }
        return new ValidatedNetwork(network, layers, voxels, channels);
    }

    private static VoxelConfig VoxelsOf(SparseNetwork network)
    {
        var input = network.Input;
        if (input.Voxels is { } preset)
        {
            if (input.Range is not null || input.VoxelSize is not null)
            {
                throw new NetworkValidationException($"{network.Name}: input gives both a voxel preset and a range/voxel size; give one");
            }
            try
            {
                return VoxelConfig.FromName(preset);
            }
            catch (FormatException e)
            {
                throw new NetworkValidationException($"{network.Name}: {e.Message}");
            }
        }
        if (input.Range is not { Count: 6 } r || input.VoxelSize is not { Count: 3 } v)
        {
            throw new NetworkValidationException($"{network.Name}: input needs a voxel preset (nusc, kitti) or a range of 6 numbers and a voxel size of 3");
        }
        var config = new VoxelConfig("custom", r[0], r[1], r[2], r[3], r[4], r[5], v[0], v[1], v[2]);
        try
        {
            _ = config.SpatialShape;
        }
        catch (ArgumentException e)
        {
            throw new NetworkValidationException($"{network.Name}: {e.Message}");
        }
        return config;
    }

    private static string ShortName(LayerDescriptor layer) => layer.Name[(layer.Name.LastIndexOf('.') + 1)..];

    private static void CheckName(string value, string what, string network)
    {
        string at = string.IsNullOrWhiteSpace(network) ? "the network" : KernelGen.IO.OneLine.Of(network);
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new NetworkValidationException($"{at}: {what} is empty");
        }
        if (KernelGen.IO.OneLine.FirstUnprintable(value) is { } c)
        {
            throw new NetworkValidationException($"{at}: {what} '{KernelGen.IO.OneLine.Of(value)}' holds the control or bidirectional character U+{(int)c:X4}");
        }
    }
}
