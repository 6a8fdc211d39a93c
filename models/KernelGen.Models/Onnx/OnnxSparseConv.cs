using Google.Protobuf;
using KernelGen.KernelMaps;
using Onnx;

namespace KernelGen.Models.Onnx;

/// <summary>
/// One <c>SparseConvolution</c> node of NVIDIA's sparse-conv ONNX schema (Lidar_AI_Solution
/// <c>CUDA-CenterPoint/qat/onnx_export/exptool.py</c>), its attributes read by name with the three spatial values in
/// (z, y, x), and — from a PTQ export — its int8 attributes.
/// </summary>
/// <param name="Name">The ONNX node's name (<c>conv7</c>).</param>
/// <param name="Input">The tensor it reads.</param>
/// <param name="Output">The tensor it writes.</param>
/// <param name="Weight">The weight initializer's name.</param>
/// <param name="Bias">The bias initializer's name, or null.</param>
/// <param name="InChannels"><c>in_channels</c>.</param>
/// <param name="OutChannels"><c>out_channels</c>.</param>
/// <param name="Kernel"><c>kernel_size</c>, (z, y, x).</param>
/// <param name="Stride"><c>stride</c>, (z, y, x).</param>
/// <param name="Padding"><c>padding</c>, (z, y, x).</param>
/// <param name="Dilation"><c>dilation</c>, (z, y, x).</param>
/// <param name="Submanifold"><c>subm</c>.</param>
/// <param name="Inverse"><c>inverse</c>: the inverse of the sparse conv whose indice key it shares.</param>
/// <param name="Relu"><c>activation</c> is <c>ReLU</c> (otherwise <c>None</c>).</param>
/// <param name="InputSpatialShape"><c>input_spatial_shape</c>, (z, y, x), or null when absent.</param>
/// <param name="Precision"><c>precision</c> of a PTQ export (<c>int8</c> or <c>fp16</c>), or null.</param>
/// <param name="InputAmax"><c>input_dynamic_range</c>: the amax of the input activations, or null.</param>
/// <param name="WeightAmax"><c>weight_dynamic_ranges</c>: the amax of each output channel's weights, or null.</param>
public sealed record OnnxSparseConv(
    string Name, string Input, string Output, string Weight, string? Bias, int InChannels, int OutChannels,
    Triple Kernel, Triple Stride, Triple Padding, Triple Dilation, bool Submanifold, bool Inverse, bool Relu,
    Triple? InputSpatialShape, string? Precision, float? InputAmax, float[]? WeightAmax)
{
    /// <summary>The node's op type in NVIDIA's schema.</summary>
    public const string OpType = "SparseConvolution";

    /// <summary>
    /// Reads <paramref name="node"/>; axis values are turned into (z, y, x) by <paramref name="order"/> (not Auto). A
    /// missing or ill-typed attribute, or one KernelGen does not run (transposed, groups, output padding, an activation
    /// other than ReLU or None), is an error naming the node.
    /// </summary>
    public static OnnxSparseConv Read(NodeProto node, OnnxAxisOrder order)
    {
        ArgumentNullException.ThrowIfNull(node);
        string name = string.IsNullOrEmpty(node.Name) ? $"(unnamed {OpType})" : node.Name;
        var attributes = node.Attribute.ToDictionary(a => a.Name, StringComparer.Ordinal);
        if (node.Input.Count is not (2 or 3) || node.Output.Count != 1)
        {
            throw new InvalidDataException($"ONNX node {name}: a SparseConvolution takes (features, weight[, bias]) and gives one output, this one has {node.Input.Count} inputs and {node.Output.Count} outputs");
        }
        long Int(string key, long? fallback = null) =>
            attributes.TryGetValue(key, out var a) ? a.Type == AttributeProto.Types.AttributeType.Int ? a.I
                : throw new InvalidDataException($"ONNX node {name}: attribute {key} is {a.Type}, an int is expected")
            : fallback ?? throw new InvalidDataException($"ONNX node {name}: attribute {key} is missing");
        long[]? Ints(string key) =>
            attributes.TryGetValue(key, out var a) ? a.Type == AttributeProto.Types.AttributeType.Ints ? a.Ints.ToArray()
                : throw new InvalidDataException($"ONNX node {name}: attribute {key} is {a.Type}, a list of ints is expected")
            : null;
        string? Text(string key) =>
            attributes.TryGetValue(key, out var a) ? a.Type == AttributeProto.Types.AttributeType.String ? a.S.ToStringUtf8()
                : throw new InvalidDataException($"ONNX node {name}: attribute {key} is {a.Type}, a string is expected")
            : null;
        Triple Axes(string key, bool required = true)
        {
            var values = Ints(key);
            if (values is null)
            {
                return required ? throw new InvalidDataException($"ONNX node {name}: attribute {key} is missing") : Triple.All(0);
            }
            if (values.Length != 3 || values.Any(v => v is < 0 or > int.MaxValue))
            {
                throw new InvalidDataException($"ONNX node {name}: {key} [{string.Join(", ", values)}] is not three non-negative values of a 3D conv");
            }
            return order == OnnxAxisOrder.Xyz ? new Triple((int)values[2], (int)values[1], (int)values[0]) : new Triple((int)values[0], (int)values[1], (int)values[2]);
        }

        if (Int("ndim", 3) != 3)
        {
            throw new InvalidDataException($"ONNX node {name}: ndim {Int("ndim")} — only 3D sparse convs are read");
        }
        if (Int("transposed", 0) != 0)
        {
            throw new InvalidDataException($"ONNX node {name}: a transposed sparse conv is not supported (KernelGen runs submanifold, sparse and inverse convs)");
        }
        if (Int("groups", 1) != 1)
        {
            throw new InvalidDataException($"ONNX node {name}: groups {Int("groups")} — grouped sparse convs are not supported");
        }
        if (Ints("output_padding") is { } outputPadding && outputPadding.Any(v => v != 0))
        {
            throw new InvalidDataException($"ONNX node {name}: output_padding [{string.Join(", ", outputPadding)}] is not supported");
        }
        string activation = Text("activation") ?? "None";
        if (activation is not ("ReLU" or "None"))
        {
            throw new InvalidDataException($"ONNX node {name}: activation '{activation}' is not supported (ReLU or None)");
        }
        float? amax = attributes.TryGetValue("input_dynamic_range", out var range)
            ? range.Type == AttributeProto.Types.AttributeType.Float ? range.F
                : throw new InvalidDataException($"ONNX node {name}: input_dynamic_range is {range.Type}, a float is expected")
            : null;
        float[]? weightAmax = attributes.TryGetValue("weight_dynamic_ranges", out var ranges)
            ? ranges.Type == AttributeProto.Types.AttributeType.Floats ? ranges.Floats.ToArray()
                : throw new InvalidDataException($"ONNX node {name}: weight_dynamic_ranges is {ranges.Type}, a list of floats is expected")
            : null;
        if (amax is { } x && !(x > 0 && float.IsFinite(x)))
        {
            throw new InvalidDataException($"ONNX node {name}: input_dynamic_range {x} is not a positive finite amax");
        }
        string? precision = Text("precision");
        if (precision is not (null or "int8" or "fp16"))
        {
            throw new InvalidDataException($"ONNX node {name}: precision '{precision}' is neither int8 nor fp16");
        }
        if (precision == "int8" && amax is null)
        {
            throw new InvalidDataException($"ONNX node {name}: precision int8 without an input_dynamic_range");
        }
        var shape = Ints("input_spatial_shape") is null ? (Triple?)null : Axes("input_spatial_shape");
        return new OnnxSparseConv(name, node.Input[0], node.Output[0], node.Input[1], node.Input.Count == 3 && node.Input[2].Length > 0 ? node.Input[2] : null,
            Checked(Int("in_channels"), "in_channels", name), Checked(Int("out_channels"), "out_channels", name),
            Axes("kernel_size"), Axes("stride"), Axes("padding"), Axes("dilation"), Int("subm") != 0, Int("inverse", 0) != 0, activation == "ReLU",
            shape, precision, amax, weightAmax);
    }

    /// <summary>The spatial shape as the graph stores it (for finding the axis order), or null.</summary>
    public static long[]? RawSpatialShape(NodeProto node) =>
        node.Attribute.FirstOrDefault(a => a.Name == "input_spatial_shape" && a.Type == AttributeProto.Types.AttributeType.Ints)?.Ints.ToArray();

    private static int Checked(long value, string key, string name) =>
        value is > 0 and <= int.MaxValue ? (int)value : throw new InvalidDataException($"ONNX node {name}: {key} {value} is not a positive channel count");
}
