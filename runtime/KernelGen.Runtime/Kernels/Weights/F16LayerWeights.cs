namespace KernelGen.Kernels;

/// <summary>
/// fp32 weights rounded to fp16 (round to nearest even) and packed for the fp16 tensor-core kernels: two consecutive
/// input channels per 32-bit word, the lower channel in the low half (the mma operand layout), as [K · Pairs, Cout]
/// with Pairs = ⌈Cin / 2⌉ (an odd Cin's last word holds a zero) — so a kernel walks the reduction over (offset, pair)
/// as one flat index. The bias stays fp32 (the epilogue is fp32).
/// </summary>
internal sealed class F16LayerWeights
{
    private F16LayerWeights(int[] packed, float[] bias, int inChannels, int kernelVolume, int outChannels)
    {
        Packed = packed;
        Bias = bias;
        InChannels = inChannels;
        KernelVolume = kernelVolume;
        OutChannels = outChannels;
    }

    /// <summary>[K · Pairs, Cout] words of two fp16 values.</summary>
    public int[] Packed { get; }

    /// <summary>[Cout] fp32 (zeros when the layer has none).</summary>
    public float[] Bias { get; }

    /// <summary>Cin.</summary>
    public int InChannels { get; }

    /// <summary>K.</summary>
    public int KernelVolume { get; }

    /// <summary>Cout.</summary>
    public int OutChannels { get; }

    /// <summary>Words of two input channels per kernel offset.</summary>
    public int InChannelPairs => (InChannels + 1) / 2;

    /// <summary>Rounds and packs spconv-layout weights [Cout, kD, kH, kW, Cin].</summary>
    public static F16LayerWeights From(ConvWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        // fp16 holds ±65504: a weight beyond it would become ±∞ and the outputs ∞ or NaN. Refused, not clamped: a
        // clamped weight is a different model.
        int beyond = Array.FindIndex(weights.Data, w => !(Math.Abs(w) <= Fp16Range.Max));
        if (beyond >= 0)
        {
            throw new ArgumentException(Fp16Range.Beyond("weight", weights.Data[beyond], WeightIndex(weights, beyond)));
        }
        ArgumentNullException.ThrowIfNull(weights);
        int cout = weights.OutChannels, cin = weights.InChannels, k = weights.Kernel.Product, pairs = (cin + 1) / 2;
        var packed = new int[k * pairs * cout];
        for (int n = 0; n < cout; n++)
        {
            for (int offset = 0; offset < k; offset++)
            {
                int source = (n * k + offset) * cin;
                for (int pair = 0; pair < pairs; pair++)
                {
                    int low = BitConverter.HalfToUInt16Bits((Half)weights.Data[source + 2 * pair]);
                    int high = 2 * pair + 1 < cin ? BitConverter.HalfToUInt16Bits((Half)weights.Data[source + 2 * pair + 1]) : 0;
                    packed[(offset * pairs + pair) * cout + n] = low | (high << 16);
                }
            }
        }
        return new F16LayerWeights(packed, weights.Bias?.ToArray() ?? new float[cout], cin, k, cout);
    }

    internal static string WeightIndex(ConvWeights weights, int index)
    {
        int cin = weights.InChannels, k = weights.Kernel.Product;
        return $"[n={index / (k * cin)}, k={index / cin % k}, c={index % cin}]";
    }
}

/// <summary>fp16's range, and the one check every fp16 path makes of what enters it (weights, features).</summary>
internal static class Fp16Range
{
    /// <summary>The largest finite fp16 value.</summary>
    public const float Max = 65504f;

    /// <summary>The first value of <paramref name="values"/> [rows, channels] fp16 cannot hold (|x| &gt; 65504, or not finite), or null.</summary>
    public static (int Row, int Channel, float Value)? FirstBeyond(ReadOnlySpan<float> values, int channels)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!(Math.Abs(values[i]) <= Max))
            {
                return (i / channels, i % channels, values[i]);
            }
        }
        return null;
    }

    /// <summary>The one-line refusal for <paramref name="what"/> <paramref name="value"/> at <paramref name="where"/>.</summary>
    public static string Beyond(string what, float value, string where) =>
        $"fp16: {what} {value} at {where} is beyond fp16's range (±65504); fp16 would turn it into ∞ or NaN — run this layer in fp32";
}
