using Google.Protobuf;
using KernelGen.Kernels;
using KernelGen.Networks;
using Onnx;

namespace KernelGen.Models.Onnx;

/// <summary>
/// Reads a sparse backbone exported in NVIDIA's ONNX schema (CUDA-CenterPoint's <c>centerpoint.scn.onnx</c>, and after
/// PTQ <c>centerpoint.scn.PTQ.onnx</c>; Lidar_AI_Solution <c>qat/onnx_export/exptool.py</c>) onto a description: every
/// <c>SparseConvolution</c> is matched to the description's node that reads the same tensor, its geometry and channels
/// checked; every <c>Add</c> must be that node's residual and every <c>Relu</c> its activation, so the graph computes
/// what the description does. BatchNorm is already folded into those weights (NVIDIA fuses it before export).
/// </summary>
/// <remarks>
/// The ops after the sparse part (<c>ScatterDense</c>, <c>Reshape</c>, <c>Transpose</c>: the dense BEV view) are the
/// description's output layout and are skipped once every conv is matched; any other op is an error, as is a graph
/// that leaves a description node unmatched.
/// </remarks>
public static class OnnxImport
{
    private static readonly HashSet<string> DenseTail = new(StringComparer.Ordinal) { "ScatterDense", "Reshape", "Transpose" };

    /// <summary>Reads <paramref name="path"/> onto <paramref name="network"/>.</summary>
    public static ImportedOnnx Read(string path, ValidatedNetwork network, OnnxAxisOrder order = OnnxAxisOrder.Auto)
    {
        KernelGen.IO.OutputPaths.RequireRegularFile(path, "ONNX model");
        return Parse(File.ReadAllBytes(path), Path.GetFileName(path), network, order);
    }

    /// <summary>Parses ONNX bytes; <paramref name="source"/> names the model in errors and in the result.</summary>
    public static ImportedOnnx Parse(byte[] bytes, string source, ValidatedNetwork network, OnnxAxisOrder order = OnnxAxisOrder.Auto)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(network);
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"'{source}' is not an ONNX model: {e.Message}");
        }
        var graph = model.Graph ?? throw new InvalidDataException($"'{source}' has no graph");
        var convNodes = graph.Node.Where(n => n.OpType == OnnxSparseConv.OpType).ToList();
        if (convNodes.Count == 0)
        {
            throw new InvalidDataException($"'{source}' has no SparseConvolution node: not a sparse-conv export in NVIDIA's schema");
        }
        var axes = order == OnnxAxisOrder.Auto ? DetectOrder(convNodes[0], network, source) : order;
        var initializers = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (var initializer in graph.Initializer)
        {
            initializers[initializer.Name] = initializer;
        }
        var graphInputs = graph.Input.Where(i => !initializers.ContainsKey(i.Name)).ToList();
        if (graphInputs.Count != 1)
        {
            throw new InvalidDataException($"'{source}': the graph has {graphInputs.Count} inputs besides its initializers; one (the voxel features) is expected");
        }

        var state = new Dictionary<string, Produced>(StringComparer.Ordinal) { [graphInputs[0].Name] = new(SparseNetwork.InputName, Stage.Done) };
        var matched = new Dictionary<string, ImportedConv>(StringComparer.Ordinal);
        var nodes = network.Network.Nodes;
        var indexOf = nodes.Select((n, i) => (n.Name, i)).ToDictionary(p => p.Name, p => p.i, StringComparer.Ordinal);
        KernelGen.KernelMaps.Triple? inputGrid = null;
        foreach (var node in graph.Node)
        {
            string name = string.IsNullOrEmpty(node.Name) ? $"(unnamed {node.OpType})" : node.Name;
            if (matched.Count == nodes.Count && DenseTail.Contains(node.OpType))
            {
                continue;
            }
            switch (node.OpType)
            {
                case OnnxSparseConv.OpType:
                {
                    var conv = OnnxSparseConv.Read(node, axes);
                    if (matched.Count == 0)
                    {
                        inputGrid = conv.InputSpatialShape; // the export's grid, as the first conv reads it
                    }
                    var from = Consumed(state, conv.Input, name, source);
                    if (from.Stage != Stage.Done)
                    {
                        throw new InvalidDataException($"ONNX node {name} reads {from.Node}'s output before its {(from.Stage == Stage.BeforeResidual ? "residual Add" : "Relu")}, which the description applies first");
                    }
                    int index = Match(network, matched, conv, from.Node, source);
                    var target = nodes[index];
                    var layer = network.Layers[index];
                    matched[target.Name] = new ImportedConv(target.Name, conv.Name, Weights(conv, layer, initializers, axes), conv.Precision, conv.InputAmax, conv.WeightAmax);
                    Stage stage = target.Residual is not null ? Stage.BeforeResidual
                        : layer.Activation == Activation.Relu && !conv.Relu ? Stage.BeforeRelu : Stage.Done;
                    if (conv.Relu && (target.Residual is not null || layer.Activation != Activation.Relu))
                    {
                        throw new InvalidDataException($"ONNX node {name} applies ReLU inside the conv, but description node {target.Name} {(target.Residual is not null ? $"adds its residual {target.Residual} first" : "has no activation")}");
                    }
                    state[conv.Output] = new Produced(target.Name, stage);
                    break;
                }
                case "Add":
                {
                    if (node.Input.Count != 2 || node.Output.Count != 1)
                    {
                        throw new InvalidDataException($"ONNX node {name}: an Add of {node.Input.Count} inputs");
                    }
                    var a = Consumed(state, node.Input[0], name, source);
                    var b = Consumed(state, node.Input[1], name, source);
                    var (sum, other) = a.Stage == Stage.BeforeResidual ? (a, b) : (b, a);
                    var target = sum.Stage == Stage.BeforeResidual ? network.Network.Find(sum.Node)! : null;
                    if (target is null || other.Stage != Stage.Done || other.Node != target.Residual)
                    {
                        throw new InvalidDataException($"ONNX node {name} adds {Describe(a)} and {Describe(b)}; the description adds a residual only as a node's conv output + the node it names as residual");
                    }
                    state[node.Output[0]] = new Produced(target.Name, network.Layers[indexOf[target.Name]].Activation == Activation.Relu ? Stage.BeforeRelu : Stage.Done);
                    break;
                }
                case "Relu":
                {
                    var x = Consumed(state, node.Input.Single(), name, source);
                    if (x.Stage != Stage.BeforeRelu)
                    {
                        throw new InvalidDataException($"ONNX node {name} applies Relu to {Describe(x)}, which the description does not");
                    }
                    state[node.Output.Single()] = new Produced(x.Node, Stage.Done);
                    break;
                }
                default:
                    throw new InvalidDataException($"ONNX node {name}: op {node.OpType} is not part of a sparse backbone KernelGen runs (SparseConvolution, Add, Relu{(matched.Count == nodes.Count ? "" : "; the dense BEV ops only after the last conv")})");
            }
        }
        if (nodes.FirstOrDefault(n => !matched.ContainsKey(n.Name)) is { } missing)
        {
            throw new InvalidDataException($"'{source}' has {convNodes.Count} SparseConvolution nodes but none for description node {missing.Name} (the description has {nodes.Count})");
        }
        var last = nodes[^1].Name;
        if (!state.Values.Any(p => p.Node == last && p.Stage == Stage.Done))
        {
            throw new InvalidDataException($"'{source}': description node {last}'s output is never complete (its residual Add or Relu is missing)");
        }
        return new ImportedOnnx(source, nodes.Select(n => matched[n.Name]).ToList(), axes, inputGrid);
    }

    /// <summary>Where a tensor came from: the description node, and which of its steps it has been through.</summary>
    private sealed record Produced(string Node, Stage Stage);

    private enum Stage
    {
        Done,
        BeforeResidual,
        BeforeRelu,
    }

    private static string Describe(Produced p) => p.Stage switch
    {
        Stage.Done => p.Node == SparseNetwork.InputName ? "the input" : $"{p.Node}'s output",
        Stage.BeforeResidual => $"{p.Node}'s conv output",
        _ => $"{p.Node}'s sum before its ReLU",
    };

    private static Produced Consumed(Dictionary<string, Produced> state, string tensor, string node, string source) =>
        state.TryGetValue(tensor, out var produced) ? produced
            : throw new InvalidDataException($"ONNX node {node} reads tensor '{KernelGen.IO.OneLine.Of(tensor)}', which no earlier node of '{source}' writes");

    /// <summary>
    /// The description node <paramref name="conv"/> is: the first unmatched node reading <paramref name="from"/> whose
    /// geometry and channels are the conv's; an error naming the first candidate's difference otherwise.
    /// </summary>
    private static int Match(ValidatedNetwork network, Dictionary<string, ImportedConv> matched, OnnxSparseConv conv, string from, string source)
    {
        var nodes = network.Network.Nodes;
        string? firstDifference = null;
        for (int i = 0; i < nodes.Count; i++)
        {
            if (nodes[i].From != from || matched.ContainsKey(nodes[i].Name))
            {
                continue;
            }
            string? difference = Difference(conv, network.Layers[i]);
            if (difference is null)
            {
                return i;
            }
            firstDifference ??= $"description node {nodes[i].Name} ({network.Layers[i].Name}) {difference}";
        }
        throw new InvalidDataException(firstDifference is null
            ? $"ONNX node {conv.Name} reads {(from == SparseNetwork.InputName ? "the input" : from)}, and no unmatched description node does ('{source}' does not follow the description)"
            : $"ONNX node {conv.Name} does not match: {firstDifference}");
    }

    private static string? Difference(OnnxSparseConv conv, Variants.LayerDescriptor layer)
    {
        var g = layer.Geometry;
        var kind = conv.Submanifold ? ConvKind.SubManifold : conv.Inverse ? ConvKind.Inverse : ConvKind.Sparse;
        return kind != g.Kind ? $"is {g.Kind}, the ONNX conv {kind}"
            : conv.InChannels != layer.InChannels || conv.OutChannels != layer.OutChannels ? $"has {layer.InChannels}→{layer.OutChannels} channels, the ONNX conv {conv.InChannels}→{conv.OutChannels}"
            : conv.Kernel != g.Kernel ? $"has kernel {g.Kernel}, the ONNX conv {conv.Kernel} (z, y, x)"
            : kind == ConvKind.Sparse && conv.Stride != g.Stride ? $"has stride {g.Stride}, the ONNX conv {conv.Stride} (z, y, x)"
            : kind == ConvKind.Sparse && conv.Padding != g.Padding ? $"has padding {g.Padding}, the ONNX conv {conv.Padding} (z, y, x)"
            : conv.Dilation != g.Dilation ? $"has dilation {g.Dilation}, the ONNX conv {conv.Dilation} (z, y, x)"
            : conv.Bias is not null && !layer.HasBias ? "adds no bias, the ONNX conv does"
            : null;
    }

    /// <summary>The conv's weights in spconv's (z, y, x) layout [Cout, kD, kH, kW, Cin], its bias (or zeros) beside them.</summary>
    private static ConvWeights Weights(OnnxSparseConv conv, Variants.LayerDescriptor layer, Dictionary<string, TensorProto> initializers, OnnxAxisOrder axes)
    {
        var k = conv.Kernel;
        var stored = axes == OnnxAxisOrder.Xyz ? new long[] { conv.OutChannels, k.X, k.Y, k.Z, conv.InChannels } : [conv.OutChannels, k.Z, k.Y, k.X, conv.InChannels];
        var (weight, dims) = OnnxTensors.Read(Initializer(initializers, conv.Weight, conv.Name), conv.Name);
        if (!dims.SequenceEqual(stored))
        {
            throw new InvalidDataException($"ONNX node {conv.Name}: weight {conv.Weight} has dims [{string.Join(", ", dims)}], its attributes say [{string.Join(", ", stored)}] (Cout, kernel {(axes == OnnxAxisOrder.Xyz ? "x, y, z" : "z, y, x")}, Cin)");
        }
        if (axes == OnnxAxisOrder.Xyz)
        {
            // [n, kx, ky, kz, c] → [n, kz, ky, kx, c]
            var zyx = new float[weight.Length];
            for (int n = 0; n < conv.OutChannels; n++)
            for (int x = 0; x < k.X; x++)
            for (int y = 0; y < k.Y; y++)
            for (int z = 0; z < k.Z; z++)
            {
                int from = (((n * k.X + x) * k.Y + y) * k.Z + z) * conv.InChannels;
                int to = (((n * k.Z + z) * k.Y + y) * k.X + x) * conv.InChannels;
                Array.Copy(weight, from, zyx, to, conv.InChannels);
            }
            weight = zyx;
        }
        float[]? bias = null;
        if (conv.Bias is { } biasName)
        {
            var (values, biasDims) = OnnxTensors.Read(Initializer(initializers, biasName, conv.Name), conv.Name);
            bias = biasDims is [var length] && length == conv.OutChannels ? values
                : throw new InvalidDataException($"ONNX node {conv.Name}: bias {biasName} has dims [{string.Join(", ", biasDims)}], [{conv.OutChannels}] is expected");
        }
        else if (layer.HasBias)
        {
            bias = new float[conv.OutChannels];
        }
        if (conv.WeightAmax is { } amax && amax.Length != conv.OutChannels)
        {
            throw new InvalidDataException($"ONNX node {conv.Name}: {amax.Length} weight_dynamic_ranges for {conv.OutChannels} output channels");
        }
        return new ConvWeights(weight, conv.OutChannels, k, conv.InChannels, bias);
    }

    private static TensorProto Initializer(Dictionary<string, TensorProto> initializers, string name, string node) =>
        initializers.TryGetValue(name, out var tensor) ? tensor
            : throw new InvalidDataException($"ONNX node {node}: initializer '{KernelGen.IO.OneLine.Of(name)}' is missing from the graph");

    /// <summary>
    /// (z, y, x) or (x, y, z), from the first conv's input spatial shape: the description's grid as it is or reversed;
    /// otherwise the flattest axis of a LiDAR grid is z.
    /// </summary>
    private static OnnxAxisOrder DetectOrder(NodeProto first, ValidatedNetwork network, string source)
    {
        var shape = OnnxSparseConv.RawSpatialShape(first);
        if (shape is not [var a, var b, var c])
        {
            throw new InvalidDataException($"'{source}': the first SparseConvolution has no 3D input_spatial_shape to tell the axis order from; give it (zyx or xyz)");
        }
        var grid = network.Voxels.SpatialShape;
        return (a, b, c) == (grid.Depth, grid.Height, grid.Width) ? OnnxAxisOrder.Zyx
            : (a, b, c) == (grid.Width, grid.Height, grid.Depth) ? OnnxAxisOrder.Xyz
            : a < c ? OnnxAxisOrder.Zyx
            : c < a ? OnnxAxisOrder.Xyz
            : throw new InvalidDataException($"'{source}': input_spatial_shape [{a}, {b}, {c}] does not say which axis is z; give the axis order (zyx or xyz)");
    }
}
