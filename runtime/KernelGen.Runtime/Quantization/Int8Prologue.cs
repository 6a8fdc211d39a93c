using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using KernelGen.Kernels;
using KernelGen.__Internals;

namespace KernelGen.Quantization;

/// <summary>
/// The CPU kernels' activation prologue: every input row quantized once (and smoothed, through the multipliers
/// m_c = 1 / (s_c · s_x)) with the same rounding as the GPU kernels, to the codes of the layer's
/// <see cref="ActivationFormat"/>, and stored as the unsigned bytes the kernels multiply: b = q + z, with z the format's
/// <see cref="ActivationFormatInfo.OperandZero"/> (s8: q + 128, the operand VPDPBUSD wants for unsigned × signed; u8: the
/// code itself). Channels are padded to whole 4-byte words with code 0.
/// </summary>
/// <remarks>
/// Rows of a multiple of 8 channels take a Vector256 path: fp32 multiply, NaN → 0, round half to even (the vector
/// instruction's default mode), clamp to the format's codes; for every finite or NaN input this is exactly
/// <see cref="Int8Math.Quantize(float, int, int)"/> (clamping one code beyond the range before rounding, as the scalar
/// path does, cannot change a result that is clamped to the range after it).
/// </remarks>
internal static class Int8Prologue
{
    /// <summary>[N, words · 4] operand bytes q + z for features [N, Cin], coded as <paramref name="format"/>.</summary>
    public static byte[] Quantize(float[] features, float[] multipliers, int words, ActivationFormat format)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(multipliers);
        var codes = ActivationFormats.Of(format);
        int cin = multipliers.Length, stride = words * 4, rows = cin == 0 ? 0 : features.Length / cin;
        if (stride < cin)
        {
            throw new ArgumentException($"{words} words cannot hold {cin} channels");
        }
        var quantized = GC.AllocateUninitializedArray<byte>(rows * stride);
        bool vector = Vector256.IsHardwareAccelerated && cin % 8 == 0;
        byte zero = (byte)codes.OperandZero;
        Parallel.For(0, (rows + 2047) / 2048, chunk =>
        {
            int end = Math.Min(rows, chunk * 2048 + 2048);
            for (int row = chunk * 2048; row < end; row++)
            {
                var source = features.AsSpan(row * cin, cin);
                var target = quantized.AsSpan(row * stride, stride);
                if (vector)
                {
                    QuantizeRowVector(source, multipliers, target, codes);
                }
                else
                {
                    for (int c = 0; c < cin; c++)
                    {
                        target[c] = (byte)(Int8Math.Quantize(source[c] * multipliers[c], codes.Min, codes.Max) + zero);
                    }
                }
                target[cin..].Fill(zero);
            }
        });
        return quantized;
    }

    /// <summary>
    /// [N, words · 4] operand bytes q + z for 8-bit input [N, Cin] that a previous layer's int8 epilogue already quantized
    /// into this layer's domain and format: a shift only (padding stores code 0).
    /// </summary>
    public static byte[] FromInt8(sbyte[] input, int inChannels, int words, ActivationFormat format)
    {
        ArgumentNullException.ThrowIfNull(input);
        int stride = words * 4, rows = inChannels == 0 ? 0 : input.Length / inChannels;
        if (stride < inChannels)
        {
            throw new ArgumentException($"{words} words cannot hold {inChannels} channels");
        }
        byte zero = (byte)ActivationFormats.Of(format).OperandZero;
        var operands = GC.AllocateUninitializedArray<byte>(rows * stride);
        var bytes = MemoryMarshal.AsBytes(input.AsSpan());
        for (int row = 0; row < rows; row++)
        {
            var source = bytes.Slice(row * inChannels, inChannels);
            var target = operands.AsSpan(row * stride, stride);
            if (zero == 0)
            {
                source.CopyTo(target); // u8 codes are their own operand bytes
            }
            else
            {
                for (int c = 0; c < inChannels; c++)
                {
                    target[c] = (byte)(source[c] + zero);
                }
            }
            target[inChannels..].Fill(zero);
        }
        return operands;
    }

    /// <summary>
    /// The int16-pair operand of the AVX-512BW / AVX2 kernels from the operand bytes: each byte b becomes the int16
    /// code b − <paramref name="operandZero"/>, two consecutive channels per int (little-endian: the even channel in the
    /// low half). Exact for s8 (−127…127) and u8 (0…255) codes alike.
    /// </summary>
    public static int[] WidenToPairs(byte[] operands, int operandZero)
    {
        ArgumentNullException.ThrowIfNull(operands);
        if (operands.Length % 2 != 0)
        {
            throw new ArgumentException($"{operands.Length} bytes do not make whole int16 pairs");
        }
        var pairs = GC.AllocateUninitializedArray<int>(operands.Length / 2);
        var values = MemoryMarshal.Cast<int, short>(pairs.AsSpan());
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var shift = Vector256.Create((short)operandZero);
            for (; i + 32 <= operands.Length; i += 32)
            {
                var bytes = Vector256.LoadUnsafe(ref operands[i]);
                var (lower, upper) = Vector256.Widen(bytes);
                (lower.AsInt16() - shift).StoreUnsafe(ref values[i]);
                (upper.AsInt16() - shift).StoreUnsafe(ref values[i + 16]);
            }
        }
        for (; i < operands.Length; i++)
        {
            values[i] = (short)(operands[i] - operandZero);
        }
        return pairs;
    }

    private static void QuantizeRowVector(ReadOnlySpan<float> source, float[] multipliers, Span<byte> target, ActivationFormatInfo codes)
    {
        ref float x = ref MemoryMarshal.GetReference(source);
        ref float m = ref MemoryMarshal.GetArrayDataReference(multipliers);
        var low = Vector256.Create((float)codes.Min);
        var high = Vector256.Create((float)codes.Max);
        var zero = Vector256.Create(codes.OperandZero);
        for (int c = 0; c < source.Length; c += 8)
        {
            var v = Vector256.LoadUnsafe(ref x, (nuint)c) * Vector256.LoadUnsafe(ref m, (nuint)c);
            v = Vector256.ConditionalSelect(Vector256.Equals(v, v), v, Vector256<float>.Zero);
            v = Vector256.Min(Vector256.Max(Vector256.Round(v), low), high);
            // q + z is in [0, 255]: narrowing int → short → byte keeps it; the low 8 bytes are the 8 channels.
            var q = Vector256.ConvertToInt32(v) + zero;
            var words = Vector256.Narrow(q, q);
            var bytes = Vector256.Narrow(words, words).AsUInt64();
            Unsafe.WriteUnaligned(ref target[c], bytes.GetElement(0));
        }
    }
}
