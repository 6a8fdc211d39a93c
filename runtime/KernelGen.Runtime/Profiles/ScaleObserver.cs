namespace KernelGen.Profiles;

/// <summary>How a static activation scale s_x = T / Q (Q = 127 for s8, 255 for u8) is read from calibration statistics.</summary>
public enum ScaleObserver
{
    /// <summary>T = max over channels of max|x_c| / s_c: nothing saturates.</summary>
    Max,

    /// <summary>T = the 99.99th percentile of the non-zero |x_c / s_c|: the rarest outliers saturate.</summary>
    Percentile,

    /// <summary>T minimizing the expected squared error of clipping plus rounding over the observed distribution.</summary>
    Mse,

    /// <summary>Per layer, whichever of the three gives the smallest layer output error on the calibration sample.</summary>
    Auto,
}

/// <summary>The clipping thresholds of <see cref="ScaleObserver"/> over <see cref="ActivationStatistics"/>.</summary>
public static class ScaleObservers
{
    /// <summary>The percentile <see cref="ScaleObserver.Percentile"/> keeps below the threshold.</summary>
    public const double Percentile = 99.99;

    /// <summary>
    /// The threshold T on the smoothed input x_c / s_c (<paramref name="smoothing"/> null: s_c = 1) by
    /// <paramref name="observer"/> (not <see cref="ScaleObserver.Auto"/>, which needs layer runs) for activations coded as
    /// <paramref name="format"/> (the MSE observer's rounding step is T / 127 for s8, T / 255 for u8). Never above the
    /// maximum, and positive (an all-zero input gets the format's largest code, so s_x = 1 and the arithmetic stays finite).
    /// </summary>
    public static float Threshold(ActivationStatistics statistics, float[]? smoothing, ScaleObserver observer, ActivationFormat format = ActivationFormat.S8)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        if (observer is not (ScaleObserver.Max or ScaleObserver.Percentile or ScaleObserver.Mse))
        {
            throw new ArgumentException($"{observer} is chosen per layer from layer runs, not from statistics alone");
        }
        if (smoothing is not null && smoothing.Length != statistics.Channels)
        {
            throw new ArgumentException($"{smoothing.Length} smoothing factors for {statistics.Channels} channels");
        }
        float max = 0;
        for (int c = 0; c < statistics.Channels; c++)
        {
            max = Math.Max(max, statistics.Maxima[c] / (smoothing?[c] ?? 1f));
        }
        int levels = Quantization.ActivationFormats.Of(format).Max;
        if (max <= 0)
        {
            return levels; // s_x = 1
        }
        var bins = SmoothedBins(statistics, smoothing);
        float threshold = observer switch
        {
            ScaleObserver.Max => max,
            ScaleObserver.Percentile => PercentileOf(bins, Percentile, max),
            _ => MinimumSquaredError(bins, max, levels),
        };
        return Math.Min(threshold, max);
    }

    /// <summary>Every non-empty (channel, bin) as (representative |x / s|, upper edge, count), sorted by value.</summary>
    private static List<(double Value, double Upper, long Count)> SmoothedBins(ActivationStatistics statistics, float[]? smoothing)
    {
        var bins = new List<(double, double, long)>();
        for (int c = 0; c < statistics.Channels; c++)
        {
            double factor = smoothing?[c] ?? 1.0;
            double channelMax = statistics.Maxima[c] / factor;
            var histogram = statistics.Histograms[c];
            for (int b = 1; b < ActivationStatistics.BinCount; b++)
            {
                if (histogram[b] == 0)
                {
                    continue;
                }
                double lower = ActivationStatistics.LowerEdge(b) / factor;
                double upper = Math.Min(ActivationStatistics.UpperEdge(b) / factor, channelMax);
                bins.Add((Math.Sqrt(lower * Math.Max(upper, lower)), Math.Max(upper, lower), histogram[b]));
            }
        }
        bins.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return bins;
    }

    private static float PercentileOf(List<(double Value, double Upper, long Count)> bins, double percentile, float max)
    {
        long total = bins.Sum(b => b.Count);
        if (total == 0)
        {
            return max;
        }
        // The smallest bin upper edge with at least the percentile's share of the (non-zero) values at or below it.
        double needed = total * percentile / 100.0;
        long seen = 0;
        foreach (var (_, upper, count) in bins)
        {
            seen += count;
            if (seen >= needed)
            {
                return (float)upper;
            }
        }
        return max;
    }

    private static float MinimumSquaredError(List<(double Value, double Upper, long Count)> bins, float max, int levels)
    {
        // Candidates: max · 2^(−k/16) for k = 0 … 127 (down to 1/256 of the maximum). Expected error per value: clipped
        // (v − T)² above T, uniform rounding noise (T/levels)² / 12 below it.
        double best = double.MaxValue, bestThreshold = max;
        for (int k = 0; k < 128; k++)
        {
            double threshold = max * Math.Pow(2, -k / 16.0), step = threshold / levels, noise = step * step / 12;
            double error = 0;
            foreach (var (value, _, count) in bins)
            {
                error += count * (value > threshold ? (value - threshold) * (value - threshold) : noise);
            }
            if (error < best)
            {
                best = error;
                bestThreshold = threshold;
            }
        }
        return (float)bestThreshold;
    }
}
