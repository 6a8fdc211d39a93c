using System.ComponentModel;
using ILGPU;
using ILGPU.Runtime.Cuda;

namespace KernelGen.__Internals;

/// <summary>
/// Warp-level tensor-core matrix multiply-adds for the generated tensor-core kernels (device code), as inline PTX on CUDA
/// (<c>mma.sync.aligned</c>, compute capability 8.0 and later) and, on ILGPU's CPU accelerator with 32-thread warps, the
/// same operation computed from the documented fragment layouts with warp shuffles — so the kernels' gathers, fragment
/// loads and epilogues run and are checked on any machine, and only the instruction itself needs a GPU.
/// <para>
/// Fragments (PTX ISA, "Matrix fragments for mma.m16n8k32 / m16n8k16"), for lane = 4·g + t (g = groupID, t = thread in
/// group): a 16 × 8 tile D = A·B + C is held as four accumulators per lane, D[g][2t], D[g][2t+1], D[g+8][2t],
/// D[g+8][2t+1]. A and B arrive as 32-bit words of consecutive reduction elements (four int8, or two fp16): per K step
/// there are 8 words; lane (g, t) holds A words t and 4 + t of rows g and g + 8 (a0 = row g word t, a1 = row g+8 word t,
/// a2 = row g word 4+t, a3 = row g+8 word 4+t) and B words t and 4 + t of column g (b0, b1).
/// </para>
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class TensorCore
{
    /// <summary>One lane's four accumulators of a 16 × 8 int32 tile.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public struct Int32x4
    {
        /// <summary>D[g][2t], D[g][2t+1], D[g+8][2t], D[g+8][2t+1].</summary>
        public int C0, C1, C2, C3;
    }

    /// <summary>One lane's four accumulators of a 16 × 8 fp32 tile.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public struct Float32x4
    {
        /// <summary>D[g][2t], D[g][2t+1], D[g+8][2t], D[g+8][2t+1].</summary>
        public float C0, C1, C2, C3;
    }

    /// <summary>
    /// D = A·B + C for a 16 × 8 × 32 int8 tile with int32 accumulation: <c>mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32</c>.
    /// Every lane of the warp must call it together (no divergence).
    /// </summary>
    public static Int32x4 MmaS8(int a0, int a1, int a2, int a3, int b0, int b1, Int32x4 c)
    {
        if (CudaAsm.IsSupported)
        {
            Ref<int> d0 = c.C0, d1 = c.C1, d2 = c.C2, d3 = c.C3;
            Input<int> x0 = a0, x1 = a1, x2 = a2, x3 = a3, y0 = b0, y1 = b1;
            CudaAsm.EmitRef(
                "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};",
                ref d0, ref d1, ref d2, ref d3, ref x0, ref x1, ref x2, ref x3, ref y0, ref y1);
            return new Int32x4 { C0 = d0.Value, C1 = d1.Value, C2 = d2.Value, C3 = d3.Value };
        }
        return EmulatedInt8(a0, a1, a2, a3, b0, b1, c, unsignedA: false);
    }

    /// <summary>
    /// D = A·B + C for a 16 × 8 × 32 tile of unsigned 8-bit A (u8 activation codes) and signed int8 B (weights) with int32
    /// accumulation: <c>mma.sync.aligned.m16n8k32.row.col.s32.u8.s8.s32</c>. Every lane of the warp must call it together.
    /// </summary>
    public static Int32x4 MmaU8S8(int a0, int a1, int a2, int a3, int b0, int b1, Int32x4 c)
    {
        if (CudaAsm.IsSupported)
        {
            Ref<int> d0 = c.C0, d1 = c.C1, d2 = c.C2, d3 = c.C3;
            Input<int> x0 = a0, x1 = a1, x2 = a2, x3 = a3, y0 = b0, y1 = b1;
            CudaAsm.EmitRef(
                "mma.sync.aligned.m16n8k32.row.col.s32.u8.s8.s32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};",
                ref d0, ref d1, ref d2, ref d3, ref x0, ref x1, ref x2, ref x3, ref y0, ref y1);
            return new Int32x4 { C0 = d0.Value, C1 = d1.Value, C2 = d2.Value, C3 = d3.Value };
        }
        return EmulatedInt8(a0, a1, a2, a3, b0, b1, c, unsignedA: true);
    }

    /// <summary>The int8 mma on the CPU accelerator: four steps of warp-shuffled words, A's bytes signed or unsigned.</summary>
    private static Int32x4 EmulatedInt8(int a0, int a1, int a2, int a3, int b0, int b1, Int32x4 c, bool unsignedA)
    {
        for (int s = 0; s < 4; s++)
        {
            var w = EmulatedStep.Of(a0, a1, a2, a3, b0, b1, s);
            c.C0 = Dot4(w.Row0Word4, w.Column0Word4, Dot4(w.Row0Word, w.Column0Word, c.C0, unsignedA), unsignedA);
            c.C1 = Dot4(w.Row0Word4, w.Column1Word4, Dot4(w.Row0Word, w.Column1Word, c.C1, unsignedA), unsignedA);
            c.C2 = Dot4(w.Row8Word4, w.Column0Word4, Dot4(w.Row8Word, w.Column0Word, c.C2, unsignedA), unsignedA);
            c.C3 = Dot4(w.Row8Word4, w.Column1Word4, Dot4(w.Row8Word, w.Column1Word, c.C3, unsignedA), unsignedA);
        }
        return c;
    }

    private static int Dot4(int a, int b, int accumulator, bool unsignedA) =>
        unsignedA ? Int8Math.Dot4Unsigned(a, b, accumulator) : Int8Math.Dot4(a, b, accumulator);

    /// <summary>
    /// D = A·B + C for a 16 × 8 × 16 fp16 tile with fp32 accumulation: <c>mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32</c>.
    /// A and B words hold two fp16 values, the lower reduction index in the low half. Every lane must call it together.
    /// </summary>
    public static Float32x4 MmaF16(int a0, int a1, int a2, int a3, int b0, int b1, Float32x4 c)
    {
        if (CudaAsm.IsSupported)
        {
            Ref<float> d0 = c.C0, d1 = c.C1, d2 = c.C2, d3 = c.C3;
            Input<int> x0 = a0, x1 = a1, x2 = a2, x3 = a3, y0 = b0, y1 = b1;
            CudaAsm.EmitRef(
                "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};",
                ref d0, ref d1, ref d2, ref d3, ref x0, ref x1, ref x2, ref x3, ref y0, ref y1);
            return new Float32x4 { C0 = d0.Value, C1 = d1.Value, C2 = d2.Value, C3 = d3.Value };
        }
        for (int s = 0; s < 4; s++)
        {
            var w = EmulatedStep.Of(a0, a1, a2, a3, b0, b1, s);
            c.C0 = Dot2(w.Row0Word4, w.Column0Word4, Dot2(w.Row0Word, w.Column0Word, c.C0));
            c.C1 = Dot2(w.Row0Word4, w.Column1Word4, Dot2(w.Row0Word, w.Column1Word, c.C1));
            c.C2 = Dot2(w.Row8Word4, w.Column0Word4, Dot2(w.Row8Word, w.Column0Word, c.C2));
            c.C3 = Dot2(w.Row8Word4, w.Column1Word4, Dot2(w.Row8Word, w.Column1Word, c.C3));
        }
        return c;
    }

    /// <summary>
    /// Two fp32 values rounded to fp16 (round to nearest even) in one word, <paramref name="low"/> in the low half — the
    /// fp16 mma operand layout: one <c>cvt.rn.f16x2.f32</c> on CUDA.
    /// </summary>
    public static int PackHalves(float low, float high)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("cvt.rn.f16x2.f32 %0, %1, %2;", out int packed, high, low);
            return packed;
        }
        return HalfBits(low) | (HalfBits(high) << 16);
    }

    /// <summary><paramref name="value"/> rounded to the nearest fp16 value (ties to even) and back: the fp16 operand an fp32 value becomes.</summary>
    public static float RoundToHalf(float value) => HalfToFloat(HalfBits(value));

    /// <summary>
    /// The IEEE binary16 bits of <paramref name="value"/>, rounded to nearest even (overflow to ±∞, NaN stays NaN), in
    /// integer arithmetic that every ILGPU backend compiles.
    /// </summary>
    public static int HalfBits(float value)
    {
        uint bits = Interop.FloatAsInt(value);
        int sign = (int)((bits >> 16) & 0x8000);
        int exponent = (int)((bits >> 23) & 0xFF);
        int mantissa = (int)(bits & 0x7FFFFF);
        if (exponent == 0xFF)
        {
            return sign | 0x7C00 | (mantissa != 0 ? 0x200 : 0);
        }
        int e = exponent - 127 + 15;
        if (e <= 0)
        {
            // Below fp16's normal range: a subnormal (or zero); the implicit leading one joins the mantissa.
            if (e < -11)
            {
                return sign;
            }
            int full = mantissa | 0x800000;
            int shift = 14 - e;
            int kept = full >> shift;
            int rest = full & ((1 << shift) - 1), halfway = 1 << (shift - 1);
            if (rest > halfway || (rest == halfway && (kept & 1) != 0))
            {
                kept++;
            }
            return sign | kept;
        }
        int half = (e << 10) | (mantissa >> 13);
        int remainder = mantissa & 0x1FFF;
        if (remainder > 0x1000 || (remainder == 0x1000 && (half & 1) != 0))
        {
            half++; // a carry into the exponent is the correct rounding (up to ∞)
        }
        return sign | (half >= 0x7C00 ? 0x7C00 : half);
    }

    /// <summary>The fp32 value of the fp16 bits in the low 16 bits of <paramref name="bits"/> (exact).</summary>
    public static float HalfToFloat(int bits)
    {
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >> 10) & 0x1F;
        int mantissa = bits & 0x3FF;
        if (exponent == 0)
        {
            float subnormal = mantissa * 5.9604644775390625e-8f; // mantissa · 2^-24, exact
            return sign != 0 ? -subnormal : subnormal;
        }
        uint result = exponent == 0x1F
            ? (uint)sign | 0x7F800000u | ((uint)mantissa << 13)
            : (uint)sign | ((uint)(exponent - 15 + 127) << 23) | ((uint)mantissa << 13);
        return Interop.IntAsFloat(result);
    }

    // a.lo · b.lo + a.hi · b.hi + c: fp16 products are exact in fp32 (11 × 11 significant bits).
    private static float Dot2(int a, int b, float c) =>
        c + HalfToFloat(a & 0xFFFF) * HalfToFloat(b & 0xFFFF) + HalfToFloat((a >> 16) & 0xFFFF) * HalfToFloat((b >> 16) & 0xFFFF);

    /// <summary>
    /// The operand words lane (g, t) needs for reduction words s and 4 + s of its four accumulators, fetched from the
    /// lanes that hold them (emulation only): row g's and row g + 8's words s and 4 + s live in lane 4g + s (a0..a3);
    /// column n's words s and 4 + s in lane 4n + s (b0, b1), for the lane's columns 2t and 2t + 1.
    /// </summary>
    private struct EmulatedStep
    {
        public int Row0Word, Row8Word, Row0Word4, Row8Word4, Column0Word, Column0Word4, Column1Word, Column1Word4;

        public static EmulatedStep Of(int a0, int a1, int a2, int a3, int b0, int b1, int s)
        {
            int lane = Warp.LaneIdx, g = lane >> 2, t = lane & 3;
            int rowLane = 4 * g + s, column0Lane = 8 * t + s, column1Lane = 8 * t + 4 + s;
            return new EmulatedStep
            {
                Row0Word = Warp.Shuffle(a0, rowLane),
                Row8Word = Warp.Shuffle(a1, rowLane),
                Row0Word4 = Warp.Shuffle(a2, rowLane),
                Row8Word4 = Warp.Shuffle(a3, rowLane),
                Column0Word = Warp.Shuffle(b0, column0Lane),
                Column0Word4 = Warp.Shuffle(b1, column0Lane),
                Column1Word = Warp.Shuffle(b0, column1Lane),
                Column1Word4 = Warp.Shuffle(b1, column1Lane),
            };
        }
    }
}
