// The one table of what kernels exist: a row per precision and a row per CPU instruction-set path. Compiled into the
// runtime and linked into the generator (as ComputeSharp links its runtime sources into its generator), so both read the
// same rows: a new precision or instruction set is a row here and the template that implements it. Plain data only —
// this file also compiles for netstandard2.0 inside the compiler.
namespace KernelGen.Kernels;

/// <summary>
/// The kernel families of one <see cref="Precision"/> (by its enum member name).
/// </summary>
/// <param name="Precision">The <c>Precision</c> member's name, e.g. <c>W8A8</c>.</param>
/// <param name="Arithmetic">What the kernels multiply: <c>Float</c> (fp32), <c>Int8</c> (four int8 channels per word, int32
/// sums), <c>Half</c> (two fp16 channels per word, fp32 sums).</param>
/// <param name="CudaCoreVariant">The runtime class of its GPU-style and barrier-free ILGPU kernels, or null for none.</param>
/// <param name="TensorCoreVariant">The runtime class of its tensor-core kernels, or null for none.</param>
/// <param name="TensorCoreK">Reduction elements per tensor-core instruction (m16n8k32 int8, m16n8k16 fp16).</param>
/// <param name="CpuVariant">The runtime class of its CPU SIMD kernels, or null for none.</param>
/// <param name="FusesSmoothQuant">Whether its kernels take SmoothQuant factors in their prologue.</param>
internal sealed record PrecisionFamily(
    string Precision, string Arithmetic, string? CudaCoreVariant, string? TensorCoreVariant, int TensorCoreK, string? CpuVariant, bool FusesSmoothQuant);

/// <summary>
/// One CPU SIMD path: an instruction set (by its <c>CpuInstructionSet</c> member name) for one precision's kernels.
/// </summary>
/// <param name="InstructionSet">The <c>CpuInstructionSet</c> member's name.</param>
/// <param name="Precision">The <c>Precision</c> member's name whose CPU kernels use it.</param>
/// <param name="NamePrefix">The variant names' prefix, e.g. <c>CpuW8A8_Vnni256</c> (the tile follows).</param>
/// <param name="VectorType">Vector256 or Vector512, empty for scalar code.</param>
/// <param name="Lanes">Elements per vector (fp32 or int32 sums); the scalar kernels pad output channels to 8.</param>
/// <param name="Operands">What the GEMM loop multiplies (templates/shared/cpu_tiles): <c>Float</c> (FMA), <c>Bytes</c>
/// (unsigned bytes × signed int8 weights into int32, VPDPBUSD), <c>Pairs</c> (int16 pairs, VPMADDWD), or <c>Scalar</c>.</param>
/// <param name="MultiplyAdd">The int8 multiply-add instruction's .NET method, empty where the loop uses Simd's FMA or scalar code.</param>
/// <param name="Rank">The default choice's order: more work per instruction ranks higher; the scalar path 0.</param>
/// <param name="Requires">The <c>System.Runtime.Intrinsics.X86</c> classes that must be supported, comma-separated (the
/// vector type must also be hardware accelerated).</param>
internal sealed record CpuPath(
    string InstructionSet, string Precision, string NamePrefix, string VectorType, int Lanes, string Operands, string MultiplyAdd, int Rank, string Requires);

/// <summary>The rows: <see cref="Precisions"/> and <see cref="CpuPaths"/>.</summary>
internal static partial class KernelFamilies
{
    /// <summary>Every precision a layer can have kernels for; fp32 first (every layer has it).</summary>
    public static readonly PrecisionFamily[] Precisions =
    {
        new("F32", "Float", "F32Variant", null, 0, "CpuF32Variant", false),
        new("W8A8", "Int8", "W8A8Variant", "W8A8Variant", 32, "CpuW8A8Variant", true),
        new("F16", "Half", null, "F16Variant", 16, null, false),
    };

    /// <summary>Every CPU path, per precision widest first; each precision's scalar path last.</summary>
    public static readonly CpuPath[] CpuPaths =
    {
        new("Vector512Fma", "F32", "CpuF32_V512", "Vector512", 16, "Float", "", 3, "Avx512F"),
        new("Vector256Fma", "F32", "CpuF32_V256", "Vector256", 8, "Float", "", 2, "Fma"),
        new("Portable", "F32", "CpuF32_Portable", "", 8, "Scalar", "", 0, ""),
        new("AvxVnni256", "W8A8", "CpuW8A8_Vnni256", "Vector256", 8, "Bytes", "global::System.Runtime.Intrinsics.X86.AvxVnni.MultiplyWideningAndAdd", 4, "AvxVnni"),
        new("Avx512BW", "W8A8", "CpuW8A8_Avx512BW", "Vector512", 16, "Pairs", "global::System.Runtime.Intrinsics.X86.Avx512BW.MultiplyAddAdjacent", 3, "Avx512BW"),
        new("Avx2", "W8A8", "CpuW8A8_Avx2", "Vector256", 8, "Pairs", "global::System.Runtime.Intrinsics.X86.Avx2.MultiplyAddAdjacent", 2, "Avx2"),
        new("Portable", "W8A8", "CpuW8A8_Portable", "", 8, "Scalar", "", 0, ""),
    };

    /// <summary>The row of <paramref name="precision"/>, or null when the table has none.</summary>
    public static PrecisionFamily? Family(string precision)
    {
        foreach (var row in Precisions)
        {
            if (row.Precision == precision)
            {
                return row;
            }
        }
        return null;
    }
}
