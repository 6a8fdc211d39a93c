namespace KernelGen.Quantization;

/// <summary>
/// Collects activation statistics over calibration batches and turns them into a per-tensor symmetric scale
/// s_x = threshold / 127.
/// </summary>
public interface IActivationObserver
{
    /// <summary>Adds one batch of features [N, C] (row-major).</summary>
    void Observe(ReadOnlySpan<float> features, int channels);

    /// <summary>The clipping threshold chosen from what was observed (|x| above it saturates).</summary>
    float Threshold { get; }
}

/// <summary>Extension helpers for observers.</summary>
public static class ActivationObserverExtensions
{
    /// <summary>s_x = threshold / 127 (1 when nothing non-zero was seen, so the arithmetic stays finite).</summary>
    public static float Scale(this IActivationObserver observer) =>
        observer.Threshold > 0 ? observer.Threshold / W8A8LayerWeights.QuantMax : 1f;
}

/// <summary>max |x| over everything observed: no activation saturates.</summary>
public sealed class MaxAbsObserver : IActivationObserver
{
    /// <inheritdoc />
    public float Threshold { get; private set; }

    /// <inheritdoc />
    public void Observe(ReadOnlySpan<float> features, int channels)
    {
        foreach (float v in features)
        {
            Threshold = Math.Max(Threshold, Math.Abs(v));
        }
    }
}

/// <summary>
/// max |x| per input channel — what SmoothQuant needs. On sparse features this equals the column maximum of the
/// im2col matrix: gathering through a kernel map only repeats active rows and adds zeros for missing neighbours, and
/// zeros never raise a maximum of absolute values.
/// </summary>
public sealed class PerChannelMaxAbsObserver
{
    private double[]? _max;

    /// <summary>Per-channel max |x| (empty before the first batch).</summary>
    public float[] Maxima => _max?.Select(v => (float)v).ToArray() ?? [];

    /// <summary>Adds one batch of features [N, C].</summary>
    public void Observe(ReadOnlySpan<float> features, int channels)
    {
        if (channels <= 0 || features.Length % channels != 0)
        {
            throw new ArgumentException($"features of length {features.Length} are not [N, {channels}]");
        }
        _max ??= new double[channels];
        if (_max.Length != channels)
        {
            throw new ArgumentException($"observer saw {_max.Length} channels before, now {channels}");
        }
        for (int i = 0; i < features.Length; i++)
        {
            _max[i % channels] = Math.Max(_max[i % channels], Math.Abs(features[i]));
        }
    }
}

/// <summary>The given percentile of |x| (e.g. 99.99): rare outliers saturate instead of stretching the scale.</summary>
public sealed class PercentileObserver(double percentile) : IActivationObserver
{
    private readonly List<float> _values = [];

    /// <summary>The percentile in (0, 100].</summary>
    public double Percentile { get; } = percentile is > 0 and <= 100
        ? percentile
        : throw new ArgumentOutOfRangeException(nameof(percentile), percentile, "percentile must be in (0, 100]");

    /// <inheritdoc />
    public void Observe(ReadOnlySpan<float> features, int channels)
    {
        foreach (float v in features)
        {
            _values.Add(Math.Abs(v));
        }
    }

    /// <inheritdoc />
    public float Threshold
    {
        get
        {
            if (_values.Count == 0)
            {
                return 0;
            }
            var sorted = _values.ToArray();
            Array.Sort(sorted);
            // Nearest-rank percentile.
            int rank = (int)Math.Ceiling(Percentile / 100 * sorted.Length);
            return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
        }
    }
}

/// <summary>
/// Histogram of |x| (2048 bins up to the running maximum) and the threshold that minimises the mean squared error of
/// symmetric int8 quantization over the histogram (rounding error inside, clipping error outside) — the "mse"
/// calibration NVIDIA's CenterPoint int8 deployment uses.
/// </summary>
public sealed class HistogramMseObserver : IActivationObserver
{
    /// <summary>Number of histogram bins.</summary>
    public const int Bins = 2048;

    private readonly double[] _counts = new double[Bins];
    private double _range;

    /// <inheritdoc />
    public void Observe(ReadOnlySpan<float> features, int channels)
    {
        float max = 0;
        foreach (float v in features)
        {
            max = Math.Max(max, Math.Abs(v));
        }
        if (max > _range)
        {
            Rebin(max);
        }
        if (_range == 0)
        {
            return;
        }
        foreach (float v in features)
        {
            int bin = (int)(Math.Abs(v) / _range * Bins);
            _counts[Math.Min(bin, Bins - 1)]++;
        }
    }

    /// <inheritdoc />
    public float Threshold
    {
        get
        {
            if (_range == 0)
            {
                return 0;
            }
            double width = _range / Bins, bestError = double.PositiveInfinity;
            float best = (float)_range;
            // Candidate thresholds at bin edges from 1/16 of the range up; the error of each bin uses its centre.
            for (int edge = Bins / 16; edge <= Bins; edge++)
            {
                double threshold = edge * width, step = threshold / W8A8LayerWeights.QuantMax, error = 0;
                for (int bin = 0; bin < Bins; bin++)
                {
                    if (_counts[bin] == 0)
                    {
                        continue;
                    }
                    double centre = (bin + 0.5) * width;
                    double quantized = centre >= threshold ? threshold : Math.Round(centre / step, MidpointRounding.ToEven) * step;
                    error += _counts[bin] * (centre - quantized) * (centre - quantized);
                }
                if (error < bestError)
                {
                    bestError = error;
                    best = (float)threshold;
                }
            }
            return best;
        }
    }

    private void Rebin(float newRange)
    {
        if (_range > 0)
        {
            var old = _counts.ToArray();
            Array.Clear(_counts);
            for (int bin = 0; bin < Bins; bin++)
            {
                double centre = (bin + 0.5) * _range / Bins;
                _counts[Math.Min((int)(centre / newRange * Bins), Bins - 1)] += old[bin];
            }
        }
        _range = newRange;
    }
}
