using System.ComponentModel;
using ILGPU.Runtime.Cuda;

namespace KernelGen.__Internals;

/// <summary>
/// Int8 arithmetic shared by every generated W8A8 kernel (device code: static, branch-light, no exceptions).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Int8Math
{
    /// <summary>
    /// <paramref name="accumulator"/> + Σ of the four signed byte products of <paramref name="a"/> and <paramref name="b"/>:
    /// one <c>dp4a</c> instruction on CUDA, the same sum in scalar code elsewhere (ILGPU's CPU accelerator).
    /// </summary>
    public static int Dot4(int a, int b, int accumulator)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("dp4a.s32.s32 %0, %1, %2, %3;", out int result, a, b, accumulator);
            return result;
        }
        return accumulator
            + (sbyte)a * (sbyte)b
            + (sbyte)(a >> 8) * (sbyte)(b >> 8)
            + (sbyte)(a >> 16) * (sbyte)(b >> 16)
            + (sbyte)(a >> 24) * (sbyte)(b >> 24);
    }

    /// <summary>
    /// <paramref name="accumulator"/> + Σ of the four products of the unsigned bytes of <paramref name="a"/> (u8
    /// activation codes) and the signed bytes of <paramref name="b"/> (weights): one <c>dp4a.u32.s32</c> on CUDA.
    /// </summary>
    public static int Dot4Unsigned(int a, int b, int accumulator)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("dp4a.u32.s32 %0, %1, %2, %3;", out int result, a, b, accumulator);
            return result;
        }
        return accumulator
            + (a & 0xFF) * (sbyte)b
            + ((a >> 8) & 0xFF) * (sbyte)(b >> 8)
            + ((a >> 16) & 0xFF) * (sbyte)(b >> 16)
            + ((a >> 24) & 0xFF) * (sbyte)(b >> 24);
    }

    /// <summary><c>clamp(round_half_even(value), -127, 127)</c>; NaN → 0: the s8 code.</summary>
    public static int Quantize(float value) => Quantize(value, -127, 127);

    /// <summary>
    /// <c>clamp(round_half_even(value), low, high)</c>; NaN → 0 — the code of an activation format (s8: −127…127, u8:
    /// 0…255). The value is clamped to [low − 1, high + 1] first so the rounding works on exactly representable floats
    /// (value − floor(value) is exact there).
    /// </summary>
    public static int Quantize(float value, int low, int high)
    {
        if (float.IsNaN(value))
        {
            return 0;
        }
        float below = low - 1, above = high + 1;
        float v = value < below ? below : value > above ? above : value;
        float floor = MathF.Floor(v);
        float fraction = v - floor;
        int q = (int)floor;
        if (fraction > 0.5f || (fraction == 0.5f && (q & 1) != 0))
        {
            q++;
        }
        return q < low ? low : q > high ? high : q;
    }

    /// <summary>
    /// Four 8-bit codes in one word, lowest channel in the lowest byte (the dp4a operand layout): signed or unsigned, the
    /// word holds each code's low byte.
    /// </summary>
    public static int Pack(int q0, int q1, int q2, int q3) =>
        (q0 & 0xFF) | ((q1 & 0xFF) << 8) | ((q2 & 0xFF) << 16) | (q3 << 24);
}
