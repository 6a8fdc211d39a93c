using KernelGen.Kernels;

namespace KernelGen.Quantization;

/// <summary>
/// Turns a layer's fp32 weights and its calibration statistics into W8A8 weights and scales, per KernelGen's semantics
/// (README "W8A8 semantics"): optional SmoothQuant factors from the per-channel activation maxima, then the per-tensor
/// activation scale taken on the (smoothed) activations, then per-channel weight quantization.
/// </summary>
public static class LayerQuantizer
{
    /// <summary>
    /// W8A8 weights for <paramref name="method"/>. <paramref name="channelMaxima"/> is max|X_j| per input channel over
    /// the calibration inputs; the activation scale is <paramref name="activationScale"/> when given, else
    /// max_j(max|X_j| / s_j) / 127 (the smoothed maximum; s_j = 1 without smoothing).
    /// </summary>
    public static W8A8LayerWeights Quantize(
        ConvWeights weights, ReadOnlySpan<float> channelMaxima, QuantMethod method, double alpha = 0.5, float? activationScale = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (method == QuantMethod.Fp32)
        {
            throw new ArgumentException("fp32 layers are not quantized", nameof(method));
        }
        if (channelMaxima.Length != weights.InChannels)
        {
            throw new ArgumentException($"{channelMaxima.Length} channel maxima for a layer with Cin={weights.InChannels}");
        }
        float[]? smoothing = method == QuantMethod.W8A8Smooth ? SmoothQuant.Factors(channelMaxima, weights, alpha) : null;
        float scale = activationScale ?? ScaleOf(channelMaxima, smoothing);
        if (activationScale is { } given && !(given > 0 && float.IsFinite(given)))
        {
            throw new ArgumentException($"activation scale must be positive and finite, got {given}", nameof(activationScale));
        }
        return W8A8LayerWeights.Create(weights, scale, smoothing);
    }

    /// <summary>s_x = max_j(max|X_j| / s_j) / 127, or 1 when every activation is zero.</summary>
    public static float ScaleOf(ReadOnlySpan<float> channelMaxima, float[]? smoothing)
    {
        double max = 0;
        for (int j = 0; j < channelMaxima.Length; j++)
        {
            max = Math.Max(max, channelMaxima[j] / (smoothing?[j] ?? 1.0));
        }
        return max > 0 ? (float)(max / W8A8LayerWeights.QuantMax) : 1f;
    }

    /// <summary>max|X_j| per channel of features [N, C].</summary>
    public static float[] ChannelMaxima(ReadOnlySpan<float> features, int channels)
    {
        var observer = new PerChannelMaxAbsObserver();
        observer.Observe(features, channels);
        return features.Length == 0 ? new float[channels] : observer.Maxima;
    }
}
