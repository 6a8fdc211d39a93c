using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace KernelGen.Generator.Diagnostics;

/// <summary>
/// Every diagnostic the generator reports. IDs are stable; each message names the attribute, the bad value and what
/// would be valid.
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "KernelGen";

    public static readonly DiagnosticDescriptor NotPartial = Error("KGEN0001",
        "Layer class must be partial",
        "[SparseConv3d] on '{0}': the class and every type containing it must be declared 'partial' so KernelGen can add its kernels; '{1}' is not");

    public static readonly DiagnosticDescriptor GenericContext = Error("KGEN0002",
        "Layer class cannot be generic",
        "[SparseConv3d] on '{0}': '{1}' is generic; kernels need a non-generic class (move the layer out of the generic type)");

    public static readonly DiagnosticDescriptor BadChannels = Error("KGEN0003",
        "Channel count must be positive",
        "[SparseConv3d] on '{0}': {1} = {2} is not valid; channel counts must be at least 1");

    public static readonly DiagnosticDescriptor BadKernel = Error("KGEN0004",
        "Invalid kernel size",
        "[SparseConv3d] on '{0}': kernel {1} is not valid; {2}");

    public static readonly DiagnosticDescriptor BadStride = Error("KGEN0005",
        "Invalid stride",
        "[SparseConv3d] on '{0}': stride {1} is not valid; {2}");

    public static readonly DiagnosticDescriptor BadPadding = Error("KGEN0006",
        "Invalid padding",
        "[SparseConv3d] on '{0}': padding {1} is not valid; padding must be 0 or more on every axis");

    public static readonly DiagnosticDescriptor BadDilation = Error("KGEN0007",
        "Invalid dilation",
        "[SparseConv3d] on '{0}': dilation {1} is not valid; dilation must be at least 1 on every axis");

    public static readonly DiagnosticDescriptor BadPerAxis = Error("KGEN0008",
        "Invalid per-axis value",
        "[SparseConv3d] on '{0}': {1} is not valid; {2}");

    public static readonly DiagnosticDescriptor TileNotPowerOfTwo = Error("KGEN0009",
        "Tile size must be a power of two",
        "[Tile] on '{0}': {1} = {2} is not a power of two; use one of {3}");

    public static readonly DiagnosticDescriptor TileOutOfRange = Error("KGEN0010",
        "Tile size out of range",
        "[Tile] on '{0}': {1} = {2} is outside the supported range {3}");

    public static readonly DiagnosticDescriptor SharedMemoryTooLarge = Error("KGEN0011",
        "Tile needs too much shared memory",
        "[Tile(BlockM = {1}, BlockN = {2}, BlockK = {3})] on '{0}': the {4} kernel needs {5} bytes of shared memory per group, over the 49152-byte (48 KB) limit; use a smaller BlockM, BlockN or BlockK");

    public static readonly DiagnosticDescriptor DuplicateTile = Error("KGEN0012",
        "Duplicate tile",
        "[Tile(BlockM = {1}, BlockN = {2}, BlockK = {3})] on '{0}' appears more than once; each tile configuration generates one variant, list it once");

    public static readonly DiagnosticDescriptor W8A8ChannelPadding = Warning("KGEN0013",
        "W8A8 input channels are padded",
        "[Quantize(Precision.W8A8)] on '{0}': int8 kernels pack input channels in groups of 4, so InChannels = {1} is zero-padded to {2} and {3}% of the int8 work is padding; give the layer {2} input channels, keep it fp32, or accept it with [Quantize(..., AcceptChannelPadding = true)]");

    public static readonly DiagnosticDescriptor SmoothQuantWithoutW8A8 = Error("KGEN0014",
        "SmoothQuant needs W8A8",
        "[Quantize] on '{0}': SmoothQuant = true needs Precision.W8A8, but the precisions asked for are {1}; SmoothQuant only matters for int8 activations");

    public static readonly DiagnosticDescriptor AlphaOutOfRange = Error("KGEN0015",
        "SmoothQuant alpha out of range",
        "[Quantize] on '{0}': Alpha = {1} is outside [0, 1]; alpha is the share of activation range moved into the weights");

    public static readonly DiagnosticDescriptor AccumulatorOverflow = Error("KGEN0016",
        "int32 accumulator could overflow",
        "[Quantize(Precision.W8A8)] on '{0}': K = {1} offsets × {2} padded input channels × 255 × 127 (u8 activations × int8 weights) can reach {3}, over int32's 2147483647; reduce the kernel or the channels, or keep the layer fp32");

    public static readonly DiagnosticDescriptor NoTiles = Warning("KGEN0017",
        "No tile configuration",
        "'{0}' has no [Tile] attribute; generating the default tile BlockM = 64, BlockN = 32, BlockK = 16 (add [Tile] attributes to choose)");

    public static readonly DiagnosticDescriptor TooManyAccumulators = Error("KGEN0018",
        "Tile needs too many accumulators per thread",
        "[Tile(BlockM = {1}, BlockN = {2}, BlockK = {3})] on '{0}': each of the 16 × 16 threads would hold a {4} × {5} register tile, over the limit of 64 accumulators (registers would spill); use BlockM × BlockN ≤ 16384");

    public static readonly DiagnosticDescriptor BadEnum = Error("KGEN0019",
        "Unknown enum value",
        "'{0}': {1} = {2} is not a defined value; use one of {3}");

    public static readonly DiagnosticDescriptor InternalError = Error("KGEN0020",
        "KernelGen generator failed",
        "KernelGen could not generate '{0}': {1}. This is a bug in KernelGen; please report it with the layer's attributes");

    public static readonly DiagnosticDescriptor AsyncStagesOutOfRange = Error("KGEN0021",
        "Unsupported cp.async pipeline depth",
        "[Tile(BlockM = {1}, BlockN = {2}, BlockK = {3})] on '{0}': AsyncStages = {4} is not supported; use 2, 3 or 4 shared stages, or 0 for no pipelined kernels");

    public static readonly DiagnosticDescriptor AsyncStagesUnused = Warning("KGEN0022",
        "AsyncStages without tensor-core kernels",
        "[Tile(BlockM = {1}, BlockN = {2}, BlockK = {3}, AsyncStages = {4})] on '{0}': the cp.async pipeline belongs to tensor-core kernels, and this tile has none ({5}); no pipelined kernel is generated");

    private static readonly Dictionary<string, DiagnosticDescriptor> All = typeof(DiagnosticDescriptors)
        .GetFields()
        .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
        .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
        .ToDictionary(d => d.Id);

    public static DiagnosticDescriptor ById(string id) => All[id];

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    private static DiagnosticDescriptor Warning(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);
}
