using System.Linq;
using KernelGen.Kernels;

namespace KernelGen.Generator.Models;

/// <summary>
/// One CPU SIMD variant: a task of <see cref="TaskRows"/> output rows, register tiles of 4 rows ×
/// <see cref="VectorsPerBlock"/> vectors of <see cref="Path"/>.Lanes output channels.
/// </summary>
/// <param name="Name">e.g. CpuW8A8_Vnni256_Tile64x32_Smooth.</param>
/// <param name="Precision">The precision's row of the kernel table.</param>
/// <param name="Path">The instruction-set path's row of the kernel table (vector type, lanes, operands, multiply-add).</param>
/// <param name="SmoothQuant">Whether the prologue's multipliers include SmoothQuant factors.</param>
/// <param name="TaskRows">Output rows per parallel task (the tile's BlockM).</param>
/// <param name="VectorsPerBlock">Vectors of output channels in a register tile.</param>
/// <param name="ChannelBlocks">Register-tile blocks across the padded output channels.</param>
/// <param name="OutChannelsPadded">Cout rounded up to a multiple of the path's lanes.</param>
internal sealed record CpuVariantModel(
    string Name,
    PrecisionFamily Precision,
    CpuPath Path,
    bool SmoothQuant,
    int TaskRows,
    int VectorsPerBlock,
    int ChannelBlocks,
    int OutChannelsPadded,
    int BlockM,
    int BlockN)
{
    /// <summary>The template that writes the kernel: one per precision, <c>cpu_{precision}.sbncs</c>.</summary>
    public string Template => $"cpu_{Precision.Precision.ToLowerInvariant()}.sbncs";

    /// <summary>The runtime class wrapping this variant.</summary>
    public string RuntimeType => Precision.CpuVariant!;

    /// <summary>The constructor's SmoothQuant argument (empty for a precision without a smoothing prologue).</summary>
    public string SmoothArgument => Precision.FusesSmoothQuant ? $" smoothQuant: {(SmoothQuant ? "true" : "false")}," : "";

    /// <summary>Runtime <c>CpuInstructionSet</c> member name.</summary>
    public string InstructionSet => Path.InstructionSet;

    /// <summary>Vector256 or Vector512 (empty for the portable scalar kernels).</summary>
    public string VectorType => Path.VectorType;

    /// <summary>Elements per vector (fp32: 8 or 16; int32 sums: 8 or 16); the portable kernels use 8.</summary>
    public int Lanes => Path.Lanes;

    /// <summary>Whether this is the scalar fallback.</summary>
    public bool Portable => Path.Operands == "Scalar";

    /// <summary>
    /// Int8 without VNNI: activations and weights as int16 pairs, multiplied and pair-summed into int32 by
    /// <c>vpmaddwd</c> (exact for any int8 or u8 code: no shift, no Σw correction).
    /// </summary>
    public bool WidensToInt16 => Path.Operands == "Pairs";

    /// <summary>The int8 multiply-add of the path (empty for the fp32 and portable kernels).</summary>
    public string MultiplyAdd => Path.MultiplyAdd;

    /// <summary>Register rows 0..3 for the templates' unrolled loops.</summary>
    public EquatableArray<int> Rows => new(Enumerable.Range(0, 4));

    /// <summary>Vector indices of a register tile.</summary>
    public EquatableArray<int> Vectors => new(Enumerable.Range(0, VectorsPerBlock));
}
