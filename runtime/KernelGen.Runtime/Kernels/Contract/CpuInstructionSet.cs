using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace KernelGen.Kernels;

/// <summary>The instruction set a CPU SIMD variant needs.</summary>
public enum CpuInstructionSet
{
    /// <summary>Plain scalar code: runs everywhere (the portable fallback).</summary>
    Portable,

    /// <summary>256-bit vectors with FMA (<c>Vector256</c>, AVX2 + FMA on x86).</summary>
    Vector256Fma,

    /// <summary>512-bit vectors with FMA (<c>Vector512</c>, AVX-512F on x86).</summary>
    Vector512Fma,

    /// <summary>256-bit int8 dot products: <c>AvxVnni.MultiplyWideningAndAdd</c> (VPDPBUSD).</summary>
    AvxVnni256,

    /// <summary>int8 without VNNI at 512 bits: sign-extended int16 pairs by <c>Avx512BW.MultiplyAddAdjacent</c> (VPMADDWD).</summary>
    Avx512BW,

    /// <summary>int8 without VNNI at 256 bits (every x86-64-v3 CPU): int16 pairs by <c>Avx2.MultiplyAddAdjacent</c> (VPMADDWD).</summary>
    Avx2,
}
