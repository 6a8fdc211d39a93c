using KernelGen.Kernels;

namespace KernelGen.Quantization;

/// <summary>
/// The activation statistics W8A8 scales are made of (docs/SEMANTICS.md "W8A8 semantics"): per-channel max|x| and the per-tensor
/// scale on the (smoothed) activations. <see cref="LayerQuantization.Calibrate"/> turns them into a layer's scales.
/// </summary>
public static class LayerQuantizer
{
    /// <summary>
    /// s_x = max_j(max|X_j| / s_j) / Q, Q the largest code of <paramref name="format"/> (127 for s8, 255 for u8), or 1
    /// when every activation is zero.
    /// </summary>
    public static float ScaleOf(ReadOnlySpan<float> channelMaxima, float[]? smoothing, ActivationFormat format = ActivationFormat.S8)
    {
        double max = 0;
        for (int j = 0; j < channelMaxima.Length; j++)
        {
            max = Math.Max(max, channelMaxima[j] / (smoothing?[j] ?? 1.0));
        }
        return max > 0 ? (float)(max / ActivationFormats.Of(format).Max) : 1f;
    }

    /// <summary>
    /// max|X_j| per channel of features [N, C] (zeros for no rows) — what SmoothQuant needs. On sparse features this
    /// equals the column maximum of the im2col matrix: gathering through a kernel map only repeats active rows and adds
    /// zeros for missing neighbours, and zeros never raise a maximum of absolute values.
    /// </summary>
    public static float[] ChannelMaxima(ReadOnlySpan<float> features, int channels)
    {
        if (channels <= 0 || features.Length % channels != 0)
        {
            throw new ArgumentException($"features of length {features.Length} are not [N, {channels}]");
        }
        var maxima = new float[channels];
        for (int i = 0; i < features.Length; i++)
        {
            maxima[i % channels] = Math.Max(maxima[i % channels], Math.Abs(features[i]));
        }
        return maxima;
    }
}
