using KernelGen.Quantization;

namespace KernelGen.Kernels;

/// <summary>
/// The one place a layer's W8A8 scales come from: the per-tensor activation scale s_x and, with SmoothQuant, the
/// per-input-channel factors s_j = max|X_j|^α / max|W_j|^(1−α). <see cref="Calibrate"/> derives both from the layer's
/// input statistics (per-channel max-abs over calibration inputs) and its fp32 weights; a saved profile supplies them
/// directly.
/// </summary>
/// <param name="ActivationScale">s_x (positive, finite): activations quantize as q = clamp(rne(x / (s_j · s_x))) to the
/// codes of <paramref name="Format"/>.</param>
/// <param name="Smoothing">SmoothQuant factors s_j [Cin], or null.</param>
/// <param name="Alpha">The migration strength the factors were made with (informational), or null.</param>
/// <param name="BiasCorrection">
/// δ [Cout], the mean shift of the int8 pre-activation from fp32 measured on calibration data, subtracted from the bias
/// (bias correction, Nagel et al. 2019); or null.
/// </param>
/// <param name="RoundedWeights">
/// The int8 weights [Cout, K, Cin] on W8A8's grid, rounded on calibration data (GPTQ); or null: round to nearest.
/// </param>
/// <param name="Format">
/// How the activations are coded: s8 (−127…127) or u8 (0…255, for an input that is never negative). A u8 layer's input
/// must come out of a ReLU; the network checks it (<see cref="Networks.ValidatedNetwork.HasNonNegativeInput"/>).
/// </param>
public sealed record LayerQuantization(
    float ActivationScale, float[]? Smoothing = null, double? Alpha = null, float[]? BiasCorrection = null, sbyte[]? RoundedWeights = null,
    ActivationFormat Format = ActivationFormat.S8)
{
    /// <summary>
    /// Scales from calibration statistics: SmoothQuant factors (when <paramref name="smoothQuant"/>) from
    /// <paramref name="channelMaxima"/> (max|X_j| per input channel) and the weights at strength <paramref name="alpha"/>,
    /// then s_x = max_j(max|X_j| / s_j) / Q, Q the largest code of <paramref name="format"/> (127 for s8, 255 for u8).
    /// </summary>
    public static LayerQuantization Calibrate(
        ConvWeights weights, ReadOnlySpan<float> channelMaxima, bool smoothQuant, double alpha = 0.5, ActivationFormat format = ActivationFormat.S8)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (channelMaxima.Length != weights.InChannels)
        {
            throw new ArgumentException($"{channelMaxima.Length} channel maxima for a layer with Cin={weights.InChannels}");
        }
        float[]? smoothing = smoothQuant ? Quantization.SmoothQuant.Factors(channelMaxima, weights, alpha) : null;
        return new LayerQuantization(LayerQuantizer.ScaleOf(channelMaxima, smoothing, format), smoothing, smoothQuant ? alpha : null, Format: format);
    }

    /// <summary>Whether the layer runs W8A8 + SmoothQuant (it has smoothing factors) rather than naive W8A8.</summary>
    public bool SmoothQuant => Smoothing is not null;

    /// <summary>"W8A8 (s8)", or "W8A8 (u8) + SmoothQuant (α = 0.50)" (the alpha when it is known).</summary>
    public string Describe() =>
        $"W8A8 ({Format.Name()})" + (!SmoothQuant ? "" : Alpha is { } alpha ? $" + SmoothQuant (α = {alpha:F2})" : " + SmoothQuant");

    /// <summary>The int8 weights, scales and packing these scales make of <paramref name="weights"/>.</summary>
    internal W8A8LayerWeights Apply(ConvWeights weights) =>
        W8A8LayerWeights.Create(weights, ActivationScale, Smoothing, BiasCorrection, RoundedWeights, Format);

    /// <summary>Scales taken on one input's features [N, Cin] (dynamic quantization, as <c>kernelgen conv --quant</c> does).</summary>
    public static LayerQuantization FromInput(
        ConvWeights weights, ReadOnlySpan<float> features, bool smoothQuant, double alpha = 0.5, ActivationFormat format = ActivationFormat.S8)
    {
        ArgumentNullException.ThrowIfNull(weights);
        return Calibrate(weights, LayerQuantizer.ChannelMaxima(features, weights.InChannels), smoothQuant, alpha, format);
    }

    /// <summary>Value equality including the factors' and corrections' values.</summary>
    public bool Equals(LayerQuantization? other) =>
        other is not null && ActivationScale.Equals(other.ActivationScale) && Alpha.Equals(other.Alpha) && Format == other.Format
        && Same(Smoothing, other.Smoothing) && Same(BiasCorrection, other.BiasCorrection) && Same(RoundedWeights, other.RoundedWeights);

    private static bool Same<T>(T[]? a, T[]? b) where T : IEquatable<T> => a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(ActivationScale, Alpha, Smoothing?.Length, Format);
}
