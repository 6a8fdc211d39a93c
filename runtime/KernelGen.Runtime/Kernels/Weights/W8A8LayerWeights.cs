using KernelGen.__Internals;
namespace KernelGen.Kernels;

/// <summary>
/// A layer's weights and scales for the W8A8 kernels, following KernelGen's quantization semantics:
/// <list type="bullet">
/// <item>SmoothQuant (optional): <c>W'[n, k, c] = W[n, k, c] · s_c</c>, activations divided by s_c in the kernel.</item>
/// <item>Weights per output channel, symmetric: <c>s_w[n] = max|W'[n, :, :]| / 127</c>,
/// <c>q = clamp(round_half_even(W' / s_w[n]), -127, 127)</c> (in double).</item>
/// <item>Activations per tensor, zero point 0, in the kernel's prologue: <c>q = clamp(round_half_even(fp32(x · m_c)))</c>
/// with <c>m_c = fp32(1 / (s_c · s_x))</c>, clamped to the codes of the layer's <see cref="ActivationFormat"/>: −127…127
/// (s8) or 0…255 (u8, for an input that is never negative).</item>
/// <item>Epilogue: <c>fp32(acc) · fp32(s_x · s_w[n]) + bias[n]</c>, then the activation; with bias correction
/// <c>bias[n] = b[n] − δ[n]</c>, δ the int8 pre-activation's measured mean shift from fp32.</item>
/// </list>
/// </summary>
internal sealed class W8A8LayerWeights
{
    /// <summary>Largest |q| of a weight (and of an s8 activation).</summary>
    public const int QuantMax = 127;

    private W8A8LayerWeights(
        sbyte[] quantized, float[] weightScales, int[] packed, float[] activationMultipliers, float[] dequantizeScales,
        float[] bias, float activationScale, float[]? smoothing, float[]? biasCorrection, bool hessianRounded, ActivationFormat format,
        int inChannels, int kernelVolume, int outChannels)
    {
        Format = format;
        BiasCorrection = biasCorrection;
        HessianRounded = hessianRounded;
        Quantized = quantized;
        WeightScales = weightScales;
        Packed = packed;
        ActivationMultipliers = activationMultipliers;
        DequantizeScales = dequantizeScales;
        Bias = bias;
        ActivationScale = activationScale;
        Smoothing = smoothing;
        InChannels = inChannels;
        KernelVolume = kernelVolume;
        OutChannels = outChannels;
    }

    /// <summary>Quantized (smoothed) weights in spconv's layout [Cout, K, Cin].</summary>
    public sbyte[] Quantized { get; }

    /// <summary>s_w [Cout].</summary>
    public float[] WeightScales { get; }

    /// <summary>Packed for the kernels: [K, ceil(Cin / 4), Cout] words of four int8 input channels (zero-padded).</summary>
    public int[] Packed { get; }

    /// <summary>m_c = fp32(1 / (s_c · s_x)) [Cin]: the prologue's quantize multiplier per input channel.</summary>
    public float[] ActivationMultipliers { get; }

    /// <summary>fp32(s_x · s_w[n]) [Cout]: the epilogue's dequantize scale.</summary>
    public float[] DequantizeScales { get; }

    /// <summary>[Cout] (zeros when the layer has no bias).</summary>
    public float[] Bias { get; }

    /// <summary>How the activations are coded (s8 or u8).</summary>
    public ActivationFormat Format { get; }

    /// <summary>s_x, the per-tensor activation scale.</summary>
    public float ActivationScale { get; }

    /// <summary>SmoothQuant factors s_c [Cin], or null.</summary>
    public float[]? Smoothing { get; }

    /// <summary>Whether <see cref="Quantized"/> was rounded on calibration data (GPTQ) rather than to nearest.</summary>
    public bool HessianRounded { get; }

    /// <summary>δ [Cout] subtracted from the fp32 bias (<see cref="Bias"/> already holds b − δ), or null.</summary>
    public float[]? BiasCorrection { get; }

    /// <summary>Cin.</summary>
    public int InChannels { get; }

    /// <summary>K.</summary>
    public int KernelVolume { get; }

    /// <summary>Cout.</summary>
    public int OutChannels { get; }

    /// <summary>Words per (offset, output channel) in <see cref="Packed"/>.</summary>
    public int InChannelWords => (InChannels + 3) / 4;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, CpuPacking> _padded = new();

    /// <summary>The W8A8 weights laid out for CPU SIMD kernels of a vector width.</summary>
    /// <param name="Weights">[K, Words, CoutPadded] packed words.</param>
    /// <param name="WeightSums">Σ_c q_w[n, k, c] as [K, CoutPadded].</param>
    /// <param name="DequantizeScales">[CoutPadded].</param>
    /// <param name="Bias">[CoutPadded].</param>
    public sealed record CpuPacking(int[] Weights, int[] WeightSums, float[] DequantizeScales, float[] Bias);

    /// <summary>Cout zero-padded to a multiple of <paramref name="lanes"/> (computed once per width).</summary>
    public CpuPacking PaddedForLanes(int lanes) => _padded.GetOrAdd(lanes, width =>
    {
        int padded = (OutChannels + width - 1) / width * width, words = InChannelWords;
        // Where Cout is already a multiple of the width, the packing is the padded layout: shared, not copied.
        var weights = padded == OutChannels ? Packed : new int[KernelVolume * words * padded];
        for (int row = 0; padded != OutChannels && row < KernelVolume * words; row++)
        {
            Array.Copy(Packed, row * OutChannels, weights, row * padded, OutChannels);
        }
        var sums = new int[KernelVolume * padded];
        for (int n = 0; n < OutChannels; n++)
        {
            for (int k = 0; k < KernelVolume; k++)
            {
                int sum = 0;
                for (int c = 0; c < InChannels; c++)
                {
                    sum += Quantized[(n * KernelVolume + k) * InChannels + c];
                }
                sums[k * padded + n] = sum;
            }
        }
        var dequantize = new float[padded];
        Array.Copy(DequantizeScales, dequantize, OutChannels);
        var bias = new float[padded];
        Array.Copy(Bias, bias, OutChannels);
        return new CpuPacking(weights, sums, dequantize, bias);
    });

    /// <summary>The int16-pair CPU kernels' weights (AVX-512BW, AVX2).</summary>
    /// <param name="Weights">[K, Words · 2, CoutPadded] ints, each the sign-extended int16 weights of input channels 2p (low half) and 2p + 1.</param>
    /// <param name="DequantizeScales">[CoutPadded].</param>
    /// <param name="Bias">[CoutPadded].</param>
    public sealed record CpuPairPacking(int[] Weights, float[] DequantizeScales, float[] Bias);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, CpuPairPacking> _pairs = new();

    /// <summary>Weights as int16 pairs, Cout zero-padded to a multiple of <paramref name="lanes"/> (computed once per width).</summary>
    public CpuPairPacking PairsForLanes(int lanes) => _pairs.GetOrAdd(lanes, width =>
    {
        var bytes = PaddedForLanes(width);
        int padded = (OutChannels + width - 1) / width * width, pairs = InChannelWords * 2;
        var weights = new int[KernelVolume * pairs * padded];
        for (int k = 0; k < KernelVolume; k++)
        {
            for (int pair = 0; pair < pairs; pair++)
            {
                for (int n = 0; n < OutChannels; n++)
                {
                    int c = 2 * pair;
                    int low = c < InChannels ? Quantized[(n * KernelVolume + k) * InChannels + c] : 0;
                    int high = c + 1 < InChannels ? Quantized[(n * KernelVolume + k) * InChannels + c + 1] : 0;
                    weights[(k * pairs + pair) * padded + n] = (low & 0xFFFF) | (high << 16);
                }
            }
        }
        return new CpuPairPacking(weights, bytes.DequantizeScales, bytes.Bias);
    });

    /// <summary>s_w[n] = max|W'[n, :, :]| / 127 of the smoothed weights W' = W · s_c (1 for an all-zero channel).</summary>
    internal static float[] GridScales(ConvWeights weights, float[]? smoothing)
    {
        int cout = weights.OutChannels, row = weights.Kernel.Product * weights.InChannels, cin = weights.InChannels;
        var scales = new float[cout];
        for (int n = 0; n < cout; n++)
        {
            double max = 0;
            for (int j = 0; j < row; j++)
            {
                max = Math.Max(max, Math.Abs((double)weights.Data[n * row + j] * (smoothing?[j % cin] ?? 1.0)));
            }
            // An all-zero channel quantizes to zeros with any scale; 1 keeps the arithmetic finite.
            scales[n] = max > 0 ? (float)(max / QuantMax) : 1f;
        }
        return scales;
    }

    /// <summary>
    /// Quantizes and packs spconv-layout weights for activation scale <paramref name="activationScale"/> of activations
    /// coded as <paramref name="format"/>, with optional SmoothQuant factors [Cin], bias correction δ [Cout] (the epilogue
    /// adds b − δ), and int8 weights already rounded on the same grid (<see cref="Quantization.GptqRounding"/>; otherwise
    /// round-to-nearest-even).
    /// </summary>
    public static W8A8LayerWeights Create(
        ConvWeights weights, float activationScale, float[]? smoothing = null, float[]? biasCorrection = null, sbyte[]? rounded = null,
        ActivationFormat format = ActivationFormat.S8)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (!(activationScale > 0) || !float.IsFinite(activationScale))
        {
            throw new ArgumentException($"activation scale s_x must be positive and finite, got {activationScale}", nameof(activationScale));
        }
        int cout = weights.OutChannels, cin = weights.InChannels, k = weights.Kernel.Product;
        if (smoothing is not null)
        {
            if (smoothing.Length != cin)
            {
                throw new ArgumentException($"SmoothQuant factors have {smoothing.Length} values but the layer has Cin={cin}", nameof(smoothing));
            }
            int bad = Array.FindIndex(smoothing, s => !(s > 0) || !float.IsFinite(s));
            if (bad >= 0)
            {
                throw new ArgumentException($"SmoothQuant factor of input channel {bad} is {smoothing[bad]}; factors must be positive and finite", nameof(smoothing));
            }
        }
        if (biasCorrection is not null && (biasCorrection.Length != cout || biasCorrection.Any(d => !float.IsFinite(d))))
        {
            throw new ArgumentException($"bias correction has {biasCorrection.Length} values for Cout={cout}, or a value that is not finite", nameof(biasCorrection));
        }
        // Activations quantize as x · m_c with m_c = 1 / (s_c · s_x) in fp32: a scale so small that m_c overflows would
        // send every activation to ±127 or NaN → 0 without a word.
        for (int c = 0; c < cin; c++)
        {
            float multiplier = 1f / ((smoothing?[c] ?? 1f) * activationScale);
            if (!float.IsFinite(multiplier))
            {
                throw new ArgumentException(
                    $"activation scale s_x = {activationScale}{(smoothing is null ? "" : $" with SmoothQuant factor {smoothing[c]} of input channel {c}")} is too small: its quantize multiplier 1 / (s_c · s_x) overflows float32",
                    nameof(activationScale));
            }
        }
        int words = (cin + 3) / 4;
        var codes = Quantization.ActivationFormats.Of(format);
        int largestCode = Math.Max(-codes.Min, codes.Max);
        long worstCase = (long)largestCode * QuantMax * k * words * 4;
        if (worstCase > int.MaxValue)
        {
            throw new ArgumentException(
                $"int32 accumulator could overflow: K={k} × Cin={cin} (padded to {words * 4}) products of up to {largestCode} × {QuantMax} ({Quantization.ActivationFormats.Name(format)} activations) sum to {worstCase} > {int.MaxValue}");
        }

        var scales = GridScales(weights, smoothing);
        var quantized = rounded?.ToArray() ?? new sbyte[weights.Data.Length];
        if (rounded is not null && rounded.Length != weights.Data.Length)
        {
            throw new ArgumentException($"{rounded.Length} rounded int8 weights for [Cout={cout}, K={k}, Cin={cin}]", nameof(rounded));
        }
        for (int n = 0; rounded is null && n < cout; n++)
        {
            for (int j = 0; j < k * cin; j++)
            {
                double q = Math.Round((double)weights.Data[n * k * cin + j] * (smoothing?[j % cin] ?? 1.0) / scales[n], MidpointRounding.ToEven);
                quantized[n * k * cin + j] = (sbyte)Math.Clamp(q, -QuantMax, QuantMax);
            }
        }
        if (rounded is not null && Array.FindIndex(rounded, q => q < -QuantMax) is var outside and >= 0)
        {
            throw new ArgumentException($"rounded int8 weight {outside} is {rounded[outside]}, outside ±{QuantMax}", nameof(rounded));
        }

        var packed = new int[k * words * cout];
        for (int offset = 0; offset < k; offset++)
        {
            for (int w = 0; w < words; w++)
            {
                for (int n = 0; n < cout; n++)
                {
                    int Q(int c) => c < cin ? quantized[(n * k + offset) * cin + c] : 0;
                    packed[(offset * words + w) * cout + n] = Int8Math.Pack(Q(4 * w), Q(4 * w + 1), Q(4 * w + 2), Q(4 * w + 3));
                }
            }
        }
        var multipliers = new float[cin];
        for (int c = 0; c < cin; c++)
        {
            multipliers[c] = (float)(1.0 / ((smoothing?[c] ?? 1.0) * activationScale));
        }
        var dequantize = scales.Select(s => (float)((double)activationScale * s)).ToArray();
        var bias = weights.Bias?.ToArray() ?? new float[cout];
        for (int n = 0; biasCorrection is not null && n < cout; n++)
        {
            bias[n] -= biasCorrection[n];
        }
        return new W8A8LayerWeights(quantized, scales, packed, multipliers, dequantize, bias,
            activationScale, smoothing?.ToArray(), biasCorrection?.ToArray(), rounded is not null, format, cin, k, cout);
    }
}
