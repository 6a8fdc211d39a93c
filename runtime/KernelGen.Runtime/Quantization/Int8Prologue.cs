using KernelGen.Kernels;

namespace KernelGen.Quantization;

/// <summary>
/// The CPU kernels' activation prologue: every input row quantized once (and smoothed, through the multipliers
/// m_c = 1 / (s_c · s_x)) with the same rounding as the GPU kernels, stored as unsigned bytes q + 128 — the operand
/// VPDPBUSD wants (unsigned × signed) — with channels padded to whole 4-byte words (padding stores q = 0).
/// </summary>
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
        var quantized = new byte[rows * stride];
        Array.Fill(quantized, (byte)128);
        Parallel.For(0, (rows + 1023) / 1024, chunk =>
        {
            for (int row = chunk * 1024; row < Math.Min(rows, chunk * 1024 + 1024); row++)
            {
                for (int c = 0; c < cin; c++)
                {
                    quantized[row * stride + c] = (byte)(Int8Math.Quantize(features[row * cin + c] * multipliers[c]) + 128);
                }
            }
        });
        return quantized;
    }
}
