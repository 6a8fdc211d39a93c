using System.Linq;

namespace KernelGen.Generator.Models;

/// <summary>
/// One CPU SIMD variant: a task of <see cref="TaskRows"/> output rows, register tiles of 4 rows ×
/// <see cref="VectorsPerBlock"/> vectors of <see cref="Lanes"/> output channels.
/// </summary>
/// <param name="Name">e.g. CpuW8A8_Vnni256_Tile64x32_Smooth.</param>
/// <param name="W8A8">Precision.</param>
/// <param name="SmoothQuant">Whether the prologue's multipliers include SmoothQuant factors.</param>
/// <param name="InstructionSet">Runtime <c>CpuInstructionSet</c> member name.</param>
/// <param name="VectorType">Vector256 or Vector512 (empty for the portable scalar kernels).</param>
/// <param name="Lanes">Elements per vector (fp32: 8 or 16; int32 accumulators: 8); the portable kernels use 8.</param>
/// <param name="TaskRows">Output rows per parallel task (the tile's BlockM).</param>
/// <param name="VectorsPerBlock">Vectors of output channels in a register tile.</param>
/// <param name="ChannelBlocks">Register-tile blocks across the padded output channels.</param>
/// <param name="OutChannelsPadded">Cout rounded up to a multiple of <see cref="Lanes"/>.</param>
internal sealed record CpuVariantModel(
    string Name,
    bool W8A8,
    bool SmoothQuant,
    string InstructionSet,
    string VectorType,
    int Lanes,
    int TaskRows,
    int VectorsPerBlock,
    int ChannelBlocks,
    int OutChannelsPadded,
    int BlockM,
    int BlockN)
{
    /// <summary>The runtime class wrapping this variant.</summary>
    public string RuntimeType => W8A8 ? "CpuW8A8Variant" : "CpuF32Variant";

    /// <summary>The W8A8 constructor's SmoothQuant argument (empty for fp32).</summary>
    public string SmoothArgument => W8A8 ? $" smoothQuant: {(SmoothQuant ? "true" : "false")}," : "";

    /// <summary>Whether this is the scalar fallback.</summary>
    public bool Portable => VectorType.Length == 0;

    /// <summary>
    /// W8A8 without VNNI: activations and weights as sign-extended int16 pairs, multiplied and pair-summed into int32 by
    /// <c>vpmaddwd</c> (exact for any int8 values: no shift, no Σw correction).
    /// </summary>
    public bool WidensToInt16 => W8A8 && InstructionSet is "Avx2" or "Avx512BW";

    /// <summary>The int16-pair multiply-add of <see cref="InstructionSet"/> (empty for the other kernels).</summary>
    public string MultiplyAdd => WidensToInt16 ? $"global::System.Runtime.Intrinsics.X86.{InstructionSet}.MultiplyAddAdjacent" : "";

    /// <summary>Register rows 0..3 for the templates' unrolled loops.</summary>
    public EquatableArray<int> Rows => new(Enumerable.Range(0, 4));

    /// <summary>Vector indices of a register tile.</summary>
    public EquatableArray<int> Vectors => new(Enumerable.Range(0, VectorsPerBlock));
}
