using KernelGen.Quantization;
using KernelGen.Tests.Support;

namespace KernelGen.Tests.Quantization;

/// <summary>Observers on distributions whose answer is known.</summary>
public sealed class ObserverTests
{
    [Fact]
    public void Max_abs_and_per_channel_maxima_are_exact_across_batches()
    {
        var perTensor = new MaxAbsObserver();
        var perChannel = new PerChannelMaxAbsObserver();
        float[] first = [1, -7, 2, 0.5f, 3, -1], second = [-4, 2, 0, 6, 1, 1];
        foreach (var batch in new[] { first, second })
        {
            perTensor.Observe(batch, 3);
            perChannel.Observe(batch, 3);
        }
        Assert.Equal(7f, perTensor.Threshold);
        Assert.Equal(7f / 127, perTensor.Scale());
        Assert.Equal([6f, 7f, 2f], perChannel.Maxima); // rows (1,-7,2) (0.5,3,-1) (-4,2,0) (6,1,1)
        Assert.Contains("saw 3 channels before, now 2", Assert.Throws<ArgumentException>(() => perChannel.Observe([1, 2], 2)).Message);
    }

    [Fact]
    public void Percentile_is_the_nearest_rank_of_the_absolute_values()
    {
        var observer = new PercentileObserver(99);
        observer.Observe(Enumerable.Range(1, 1000).Select(i => (float)(i % 2 == 0 ? i : -i)).ToArray(), 1);
        Assert.Equal(990f, observer.Threshold);
        var all = new PercentileObserver(100);
        all.Observe([3, -9, 1], 1);
        Assert.Equal(9f, all.Threshold);
        Assert.Throws<ArgumentOutOfRangeException>(() => new PercentileObserver(0));
    }

    [Fact]
    public void Histogram_mse_finds_the_brute_force_optimum_and_keeps_a_dense_range()
    {
        var random = new RandomSparse();
        // A Gaussian bulk plus 20 huge outliers (0.01 %): the threshold must be as good as an exhaustive search's.
        var values = random.Normal(200_000);
        for (int i = 0; i < 20; i++)
        {
            values[i] = (i % 2 == 0 ? 1 : -1) * (50 + i);
        }
        var observer = new HistogramMseObserver();
        observer.Observe(values.AsSpan(0, 100_000), 1); // two batches: the histogram survives re-binning
        observer.Observe(values.AsSpan(100_000), 1);
        double chosen = QuantizationMse(values, observer.Threshold);
        double best = Enumerable.Range(1, 276).Select(i => QuantizationMse(values, i * 0.25f)).Min(); // brute force up to the max (69)
        Assert.True(chosen <= best * 1.05, $"threshold {observer.Threshold}: MSE {chosen} vs brute-force best {best} (seed {random.Seed})");
        Assert.True(chosen <= QuantizationMse(values, 69f), $"threshold {observer.Threshold} is worse than max-abs (seed {random.Seed})");

        // Uniform values fill the range: the best threshold is (almost) the maximum.
        var uniform = new HistogramMseObserver();
        uniform.Observe(Enumerable.Range(0, 100_000).Select(_ => (float)(random.Random.NextDouble() * 2 - 1)).ToArray(), 1);
        Assert.InRange(uniform.Threshold, 0.95f, 1.0001f);
    }

    private static double QuantizationMse(float[] values, float threshold)
    {
        double step = threshold / 127.0, sum = 0;
        foreach (float v in values)
        {
            double q = Math.Clamp(Math.Round(v / step, MidpointRounding.ToEven), -127, 127) * step;
            sum += (v - q) * (v - q);
        }
        return sum / values.Length;
    }
}
