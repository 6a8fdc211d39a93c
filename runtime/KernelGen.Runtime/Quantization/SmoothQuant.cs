using KernelGen.Kernels;

namespace KernelGen.Quantization;

/// <summary>
/// SmoothQuant for sparse convs: per input channel j, <c>s_j = max|X_j|^α / max|W_j|^(1−α)</c>, where max|X_j| is over
/// the layer's input features of channel j and max|W_j| over every output channel and kernel offset of input channel
/// j; both maxima and s_j are clamped to ≥ 1e-5. Then <c>X' = X / s</c> and <c>W' = W · s</c>, so X'·W' = X·W.
/// </summary>
public static class SmoothQuant
{
    /// <summary>Lower clamp of the maxima and of the factors.</summary>
    public const double Floor = 1e-5;

    /// <summary>The factors s_j for migration strength <paramref name="alpha"/> in [0, 1].</summary>
    public static float[] Factors(ReadOnlySpan<float> activationMaxima, ConvWeights weights, double alpha)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (!(alpha >= 0 && alpha <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "SmoothQuant alpha must be in [0, 1]");
        }
        if (activationMaxima.Length != weights.InChannels)
        {
            throw new ArgumentException($"{activationMaxima.Length} activation maxima for a layer with Cin={weights.InChannels}");
        }
        var weightMaxima = WeightMaxima(weights);
        var factors = new float[weights.InChannels];
        for (int j = 0; j < factors.Length; j++)
        {
            double x = Math.Max(activationMaxima[j], Floor), w = Math.Max(weightMaxima[j], Floor);
            factors[j] = (float)Math.Max(Math.Pow(x, alpha) / Math.Pow(w, 1 - alpha), Floor);
        }
        return factors;
    }

    /// <summary>max|W[:, :, j]| per input channel j, over output channels and kernel offsets.</summary>
    public static float[] WeightMaxima(ConvWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var maxima = new float[weights.InChannels];
        for (int i = 0; i < weights.Data.Length; i++)
        {
            int j = i % weights.InChannels;
            maxima[j] = Math.Max(maxima[j], Math.Abs(weights.Data[i]));
        }
        return maxima;
    }

    /// <summary>X' = X / s: features [N, Cin] divided per channel (a copy).</summary>
    public static float[] SmoothActivations(ReadOnlySpan<float> features, ReadOnlySpan<float> factors)
    {
        var smoothed = new float[features.Length];
        for (int i = 0; i < smoothed.Length; i++)
        {
            smoothed[i] = features[i] / factors[i % factors.Length];
        }
        return smoothed;
    }

    /// <summary>W' = W · s: weights scaled per input channel (a copy with the same bias).</summary>
    public static ConvWeights SmoothWeights(ConvWeights weights, ReadOnlySpan<float> factors)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var data = new float[weights.Data.Length];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = weights.Data[i] * factors[i % weights.InChannels];
        }
        return new ConvWeights(data, weights.OutChannels, weights.Kernel, weights.InChannels, weights.Bias?.ToArray());
    }
}
