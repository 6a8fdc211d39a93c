using ILGPU.Runtime.Cuda;

namespace KernelGen.Kernels;

/// <summary>
/// Int8 arithmetic shared by every generated W8A8 kernel (device code: static, branch-light, no exceptions).
/// </summary>
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
    /// <c>clamp(round_half_even(value), -127, 127)</c>; NaN → 0. The value is clamped to ±128 first so the rounding
    /// works on exactly representable floats (value − floor(value) is exact there).
    /// </summary>
    public static int Quantize(float value)
    {
        if (float.IsNaN(value))
        {
            return 0;
        }
        float v = value < -128f ? -128f : value > 128f ? 128f : value;
        float floor = MathF.Floor(v);
        float fraction = v - floor;
        int q = (int)floor;
        if (fraction > 0.5f || (fraction == 0.5f && (q & 1) != 0))
        {
            q++;
        }
        return q < -127 ? -127 : q > 127 ? 127 : q;
    }

    /// <summary>Four int8 values in one word, lowest channel in the lowest byte (the dp4a operand layout).</summary>
    public static int Pack(int q0, int q1, int q2, int q3) =>
        (q0 & 0xFF) | ((q1 & 0xFF) << 8) | ((q2 & 0xFF) << 16) | (q3 << 24);
}
