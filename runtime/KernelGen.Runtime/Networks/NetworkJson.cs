using System.Text.Json;
using System.Text.Json.Serialization;

namespace KernelGen.Networks;

/// <summary>
/// Network descriptions as JSON files (camelCase, human-readable, versioned by <c>"format": 1</c>). A file that is not
/// JSON, has another format version, or lacks a required field is a <see cref="NetworkFormatException"/> naming what is
/// wrong; whether the network makes sense is <see cref="NetworkValidator"/>'s job.
/// </summary>
public static class NetworkJson
{
    /// <summary>The format version written and accepted.</summary>
    public const int FormatVersion = 1;

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        // A key given twice would silently take the last value.
        AllowDuplicateProperties = false,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    private sealed record FileModel(int? Format, string? Name, InputModel? Input, List<NodeModel?>? Nodes);

    private sealed record InputModel(string? Voxels, List<string>? Features, List<double>? Range, List<double>? VoxelSize, double? IntensityMax = null);

    private sealed record NodeModel(string? Name, string? Op, string? Layer, string? IndiceKey, string? From, string? Residual, WeightsModel? Weights);

    private sealed record WeightsModel(string? Weight, string? Bias, string? BatchNorm);

    /// <summary>Reads a description file.</summary>
    public static SparseNetwork Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            KernelGen.IO.OutputPaths.RequireRegularFile(path, "network description");
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NetworkFormatException($"cannot read network description {path}: {e.Message}");
        }
        return Parse(text, path);
    }

    /// <summary>Parses a description; <paramref name="source"/> names it in errors.</summary>
    public static SparseNetwork Parse(string json, string source)
    {
        FileModel? file;
        try
        {
            file = JsonSerializer.Deserialize<FileModel>(json, Options);
        }
        catch (JsonException e)
        {
            throw new NetworkFormatException($"{source}: not a network description: {e.Message}");
        }
        if (file is null)
        {
            throw new NetworkFormatException($"{source}: empty network description");
        }
        if (file.Format != FormatVersion)
        {
            throw new NetworkFormatException($"{source}: format {file.Format?.ToString() ?? "(missing)"} is not supported; this KernelGen reads format {FormatVersion}");
        }
        string name = file.Name ?? throw new NetworkFormatException($"{source}: missing \"name\"");
        var input = file.Input ?? throw new NetworkFormatException($"{source}: missing \"input\"");
        var nodes = file.Nodes ?? throw new NetworkFormatException($"{source}: missing \"nodes\"");
        var parsed = new List<NetworkNode>(nodes.Count);
        for (int i = 0; i < nodes.Count; i++)
        {
            var node = nodes[i] ?? throw new NetworkFormatException($"{source}: node {i} is null");
            string label = node.Name ?? $"#{i}";
            string Required(string? value, string field) => value ?? throw new NetworkFormatException($"{source}: node {label} has no \"{field}\"");
            parsed.Add(new NetworkNode(
                Required(node.Name, "name"), Required(node.Layer, "layer"), Required(node.IndiceKey, "indiceKey"),
                Required(node.From, "from"), node.Residual,
                new NodeWeights(Required(node.Weights?.Weight, "weights.weight"), node.Weights!.Bias, node.Weights.BatchNorm),
                node.Op ?? "conv"));
        }
        return new SparseNetwork(name, new NetworkInput(input.Voxels, input.Features ?? throw new NetworkFormatException($"{source}: input has no \"features\""), input.Range, input.VoxelSize, input.IntensityMax), parsed);
    }

    /// <summary>The description as JSON text.</summary>
    public static string Serialize(SparseNetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        var file = new FileModel(FormatVersion, network.Name,
            new InputModel(network.Input.Voxels, network.Input.Features.ToList(), network.Input.Range?.ToList(), network.Input.VoxelSize?.ToList(), network.Input.IntensityMax),
            network.Nodes.Select(n => (NodeModel?)new NodeModel(n.Name, n.Op, n.Layer, n.IndiceKey, n.From, n.Residual,
                new WeightsModel(n.Weights.Weight, n.Weights.Bias, n.Weights.BatchNorm))).ToList());
        return JsonSerializer.Serialize(file, Options);
    }
}

/// <summary>A network description file that cannot be read as one.</summary>
public sealed class NetworkFormatException(string message) : Exception(KernelGen.IO.OneLine.Of(message, int.MaxValue));
