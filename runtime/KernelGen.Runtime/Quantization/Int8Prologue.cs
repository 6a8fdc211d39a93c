using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using KernelGen.Kernels;

namespace KernelGen.Quantization;

/// <summary>
/// The CPU kernels' activation prologue: every input row quantized once (and smoothed, through the multipliers
/// m_c = 1 / (s_c · s_x)) with the same rounding as the GPU kernels, stored as unsigned bytes q + 128 — the operand
/// VPDPBUSD wants (unsigned × signed) — with channels padded to whole 4-byte words (padding stores q = 0).
/// </summary>
/// <remarks>
/// Rows of a multiple of 8 channels take a Vector256 path: fp32 multiply, NaN → 0, round half to even (the vector
/// instruction's default mode), clamp to ±127; for every finite or NaN input this is exactly
/// <see cref="Int8Math.Quantize"/> (clamping to ±128 before rounding, as the scalar path does, cannot change a
/// result that is clamped to ±127 after it).
/// </remarks>
public static class Int8Prologue
{
    /// <summary>[N, words · 4] bytes q + 128 for features [N, Cin].</summary>
    public static byte[] QuantizeShifted(float[] features, float[] multipliers, int words)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(multipliers);
        int cin = multipliers.Length, stride = words * 4, rows = cin == 0 ? 0 : features.Length / cin;
        if (stride < cin)
        {
            throw new ArgumentException($"{words} words cannot hold {cin} channels");
        }
        var quantized = GC.AllocateUninitializedArray<byte>(rows * stride);
        bool vector = Vector256.IsHardwareAccelerated && cin % 8 == 0;
        Parallel.For(0, (rows + 2047) / 2048, chunk =>
        {
            int end = Math.Min(rows, chunk * 2048 + 2048);
            for (int row = chunk * 2048; row < end; row++)
            {
                var source = features.AsSpan(row * cin, cin);
                var target = quantized.AsSpan(row * stride, stride);
                if (vector)
                {
                    QuantizeRowVector(source, multipliers, target);
                }
                else
                {
                    for (int c = 0; c < cin; c++)
                    {
                        target[c] = (byte)(Int8Math.Quantize(source[c] * multipliers[c]) + 128);
                    }
                }
                target[cin..].Fill(128);
            }
        });
        return quantized;
    }

    /// <summary>
    /// [N, words · 4] bytes q + 128 for int8 input [N, Cin] that a previous layer's int8 epilogue already quantized into
    /// this layer's domain: a shift only (padding stores q = 0).
    /// </summary>
    public static byte[] Shift(sbyte[] input, int inChannels, int words)
    {
        ArgumentNullException.ThrowIfNull(input);
        int stride = words * 4, rows = inChannels == 0 ? 0 : input.Length / inChannels;
        if (stride < inChannels)
        {
            throw new ArgumentException($"{words} words cannot hold {inChannels} channels");
        }
        var shifted = GC.AllocateUninitializedArray<byte>(rows * stride);
        for (int row = 0; row < rows; row++)
        {
            var source = input.AsSpan(row * inChannels, inChannels);
            var target = shifted.AsSpan(row * stride, stride);
            for (int c = 0; c < inChannels; c++)
            {
                target[c] = (byte)(source[c] + 128);
            }
            target[inChannels..].Fill(128);
        }
        return shifted;
    }

    /// <summary>
    /// The int16-pair operand of the AVX-512BW / AVX2 kernels from the shifted bytes: each byte b becomes the int16 b − 128
    /// (= q), two consecutive channels per int (little-endian: the even channel in the low half).
    /// </summary>
    public static int[] WidenToPairs(byte[] shifted)
    {
        ArgumentNullException.ThrowIfNull(shifted);
        if (shifted.Length % 2 != 0)
        {
            throw new ArgumentException($"{shifted.Length} bytes do not make whole int16 pairs");
        }
        var pairs = GC.AllocateUninitializedArray<int>(shifted.Length / 2);
        var values = MemoryMarshal.Cast<int, short>(pairs.AsSpan());
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var shift = Vector256.Create((short)128);
            for (; i + 32 <= shifted.Length; i += 32)
            {
                var bytes = Vector256.LoadUnsafe(ref shifted[i]);
                var (lower, upper) = Vector256.Widen(bytes);
                (lower.AsInt16() - shift).StoreUnsafe(ref values[i]);
                (upper.AsInt16() - shift).StoreUnsafe(ref values[i + 16]);
            }
        }
        for (; i < shifted.Length; i++)
        {
            values[i] = (short)(shifted[i] - 128);
        }
        return pairs;
    }

    /// <summary>
    /// The unsigned operand of the VPMADDUBSW path: when no shifted byte is below 128 (no q &lt; 0, e.g. an input that
    /// came out of a ReLU), the bytes q = b − 128 ∈ [0, 127]; false as soon as one q is negative.
    /// </summary>
    public static bool TryUnshift(byte[] shifted, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? unsigned)
    {
        ArgumentNullException.ThrowIfNull(shifted);
        var result = GC.AllocateUninitializedArray<byte>(shifted.Length);
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var sign = Vector256.Create((byte)0x80);
            for (; i + 32 <= shifted.Length; i += 32)
            {
                var bytes = Vector256.LoadUnsafe(ref shifted[i]);
                if (!Vector256.EqualsAll(bytes & sign, sign))
                {
                    unsigned = null;
                    return false;
                }
                (bytes ^ sign).StoreUnsafe(ref result[i]);
            }
        }
        for (; i < shifted.Length; i++)
        {
            if (shifted[i] < 128)
            {
                unsigned = null;
                return false;
            }
            result[i] = (byte)(shifted[i] - 128);
        }
        unsigned = result;
        return true;
    }

    private static void QuantizeRowVector(ReadOnlySpan<float> source, float[] multipliers, Span<byte> target)
    {
        ref float x = ref MemoryMarshal.GetReference(source);
        ref float m = ref MemoryMarshal.GetArrayDataReference(multipliers);
        var limit = Vector256.Create(127f);
        var shift = Vector256.Create(128);
        for (int c = 0; c < source.Length; c += 8)
        {
            var v = Vector256.LoadUnsafe(ref x, (nuint)c) * Vector256.LoadUnsafe(ref m, (nuint)c);
            v = Vector256.ConditionalSelect(Vector256.Equals(v, v), v, Vector256<float>.Zero);
            v = Vector256.Min(Vector256.Max(Vector256.Round(v), -limit), limit);
            // q + 128 is in [1, 255]: narrowing int → short → byte keeps it; the low 8 bytes are the 8 channels.
            var q = Vector256.ConvertToInt32(v) + shift;
            var words = Vector256.Narrow(q, q);
            var bytes = Vector256.Narrow(words, words).AsUInt64();
            Unsafe.WriteUnaligned(ref target[c], bytes.GetElement(0));
        }
    }
}
