using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Tensors;

namespace KernelGen.Tests.Support;

/// <summary>
/// The exact integer reference for W8A8, written from the semantics in docs/SEMANTICS.md (not from the runtime's code):
/// weights smoothed and quantized per output channel in double, activations quantized per tensor as fp32(x · m_c)
/// rounded half to even and clamped to the format's codes (s8: −127…127, u8: 0…255), int64 sums of the products, then
/// the epilogue in double.
/// </summary>
public static class Int8Reference
{
    public sealed record Result(double[] Values, double[] Magnitudes, sbyte[] QuantizedWeights, float[] WeightScales, float[] Multipliers, long[] Sums, int[] Codes);

    public static int RoundClamp(double value) => RoundClamp(value, ActivationFormat.S8);

    /// <summary>The code of <paramref name="value"/> in <paramref name="format"/>: round half to even, then clamp (NaN → 0).</summary>
    public static int RoundClamp(double value, ActivationFormat format)
    {
        var (low, high) = format == ActivationFormat.U8 ? (0, 255) : (-127, 127);
        return double.IsNaN(value) ? 0 : (int)Math.Clamp(Math.Round(Math.Clamp(value, low - 1, high + 1), MidpointRounding.ToEven), low, high);
    }

    /// <param name="rounded">Int8 weights rounded elsewhere on the same grid (GPTQ), used instead of rounding to nearest.</param>
    /// <param name="biasCorrection">δ subtracted from the bias.</param>
    /// <param name="format">How the activations are coded.</param>
    public static Result Conv(
        SparseTensor input, KernelMap map, ConvWeights weights, float activationScale, float[]? smoothing, bool relu,
        sbyte[]? rounded = null, float[]? biasCorrection = null, ActivationFormat format = ActivationFormat.S8)
    {
        int cin = weights.InChannels, cout = weights.OutChannels, k = map.KernelVolume;
        var scales = new float[cout];
        var qw = new sbyte[weights.Data.Length];
        for (int n = 0; n < cout; n++)
        {
            double max = 0;
            for (int i = 0; i < k * cin; i++)
            {
                max = Math.Max(max, Math.Abs((double)weights.Data[n * k * cin + i] * (smoothing?[i % cin] ?? 1.0)));
            }
            scales[n] = max > 0 ? (float)(max / 127) : 1f;
            for (int i = 0; i < k * cin; i++)
            {
                qw[n * k * cin + i] = rounded?[n * k * cin + i] ?? (sbyte)RoundClamp((double)weights.Data[n * k * cin + i] * (smoothing?[i % cin] ?? 1.0) / scales[n]);
            }
        }
        var multipliers = new float[cin];
        for (int c = 0; c < cin; c++)
        {
            multipliers[c] = (float)(1.0 / ((smoothing?[c] ?? 1.0) * activationScale));
        }
        var qx = new int[input.Features.Length];
        for (int i = 0; i < qx.Length; i++)
        {
            float product = input.Features[i] * multipliers[i % cin]; // fp32 multiply, as the kernel does
            qx[i] = RoundClamp(product, format);
        }
        var values = new double[map.OutputCount * cout];
        var sums = new long[values.Length];
        var magnitudes = new double[values.Length];
        for (int row = 0; row < map.OutputCount; row++)
        {
            for (int n = 0; n < cout; n++)
            {
                long acc = 0;
                for (int offset = 0; offset < k; offset++)
                {
                    int source = map.OutIn[row * k + offset];
                    if (source < 0)
                    {
                        continue;
                    }
                    for (int c = 0; c < cin; c++)
                    {
                        acc += qx[source * cin + c] * qw[(n * k + offset) * cin + c];
                    }
                }
                sums[row * cout + n] = acc;
                double dequantized = acc * (double)activationScale * scales[n];
                double bias = (weights.Bias?[n] ?? 0) - (biasCorrection?[n] ?? 0);
                double value = dequantized + bias;
                values[row * cout + n] = relu ? Math.Max(0, value) : value;
                magnitudes[row * cout + n] = Math.Abs(dequantized) + Math.Abs(bias);
            }
        }
        return new Result(values, magnitudes, qw, scales, multipliers, sums, qx);
    }
}
