using KernelGen.Kernels;

namespace KernelGen.Quantization;

/// <summary>
/// Folds an inference-mode BatchNorm that follows a conv into the conv's weights and bias (CenterPoint's BN1d after
/// every sparse conv, eps 1e-3): <c>W'[n] = W[n] · γ[n] / √(σ²[n] + ε)</c>,
/// <c>b'[n] = (b[n] − μ[n]) · γ[n] / √(σ²[n] + ε) + β[n]</c>.
/// </summary>
public static class BatchNormFolding
{
    /// <summary>CenterPoint's BatchNorm epsilon.</summary>
    public const double CenterPointEpsilon = 1e-3;

    /// <summary>The folded conv (computed in double, stored as float).</summary>
    public static ConvWeights Fold(
        ConvWeights conv, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, ReadOnlySpan<float> runningMean,
        ReadOnlySpan<float> runningVariance, double epsilon = CenterPointEpsilon)
    {
        ArgumentNullException.ThrowIfNull(conv);
        int cout = conv.OutChannels;
        foreach (var (name, length) in new[] { ("gamma", gamma.Length), ("beta", beta.Length), ("running mean", runningMean.Length), ("running variance", runningVariance.Length) })
        {
            if (length != cout)
            {
                throw new ArgumentException($"BatchNorm {name} has {length} values but the conv has Cout={cout}");
            }
        }
        // Each statistic checked by its own name: a NaN or ∞ folded in would be reported as the conv's weight or bias.
        CheckFinite(gamma, "weight (γ)");
        CheckFinite(beta, "bias (β)");
        CheckFinite(runningMean, "running_mean");
        CheckFinite(runningVariance, "running_var");
        if (!(epsilon > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "BatchNorm epsilon must be positive");
        }
        int perChannel = conv.Data.Length / cout;
        var data = new float[conv.Data.Length];
        var bias = new float[cout];
        for (int n = 0; n < cout; n++)
        {
            if (runningVariance[n] < 0)
            {
                throw new ArgumentException($"BatchNorm running variance of channel {n} is negative ({runningVariance[n]})");
            }
            double scale = gamma[n] / Math.Sqrt(runningVariance[n] + epsilon);
            for (int i = 0; i < perChannel; i++)
            {
                data[n * perChannel + i] = (float)(conv.Data[n * perChannel + i] * scale);
            }
            bias[n] = (float)(((conv.Bias?[n] ?? 0.0) - runningMean[n]) * scale + beta[n]);
        }
        return new ConvWeights(data, cout, conv.Kernel, conv.InChannels, bias);
    }

    private static void CheckFinite(ReadOnlySpan<float> values, string name)
    {
        for (int n = 0; n < values.Length; n++)
        {
            if (!float.IsFinite(values[n]))
            {
                throw new ArgumentException(
                    $"BatchNorm {name} of channel {n} is {values[n].ToString(System.Globalization.CultureInfo.InvariantCulture)}; BatchNorm statistics must be finite");
            }
        }
    }
}
