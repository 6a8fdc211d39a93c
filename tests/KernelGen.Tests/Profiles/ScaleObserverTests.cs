using KernelGen.Profiles;

namespace KernelGen.Tests.Profiles;

/// <summary>
/// The fixed bins and the observers' thresholds against references computed directly on the values (sorted values for
/// the percentile, a brute-force error sum for MSE), within the bins' documented 6.25 % resolution.
/// </summary>
public sealed class ScaleObserverTests
{
    private static readonly float Low = MathF.ScaleB(1f, -32), High = MathF.ScaleB(1f, 32);

    [Fact]
    public void Every_value_falls_in_the_bin_whose_edges_hold_it()
    {
        var random = new Random(7);
        for (int i = 0; i < 20000; i++)
        {
            float value = (float)Math.Pow(2, random.NextDouble() * 70 - 35) * (random.Next(2) == 0 ? -1 : 1);
            int bin = ActivationStatistics.BinOf(value);
            float magnitude = Math.Abs(value);
            if (bin is > 0 and < ActivationStatistics.BinCount - 1)
            {
                Assert.InRange(magnitude, ActivationStatistics.LowerEdge(bin), ActivationStatistics.UpperEdge(bin));
                Assert.True(magnitude < ActivationStatistics.UpperEdge(bin), $"{magnitude} at the upper edge of bin {bin}");
                Assert.True(ActivationStatistics.UpperEdge(bin) <= ActivationStatistics.LowerEdge(bin) * 1.0625f, "a bin is at most 6.25 % wide");
            }
            else
            {
                Assert.True(bin == 0 ? magnitude < Low : magnitude >= High, $"{magnitude} in edge bin {bin}");
            }
        }
        Assert.Equal(0, ActivationStatistics.BinOf(0f));
        Assert.Equal(ActivationStatistics.BinCount - 1, ActivationStatistics.BinOf(float.PositiveInfinity));
    }

    private static (ActivationStatistics Statistics, float[] Values) Observed(int seed)
    {
        // Two channels: a bulk near 1 with a few large outliers in channel 0, a narrower channel 1, and exact zeros.
        var random = new Random(seed);
        var features = new float[2 * 50000];
        for (int row = 0; row < 50000; row++)
        {
            features[row * 2] = row % 10 == 0 ? 0f : (float)(random.NextDouble() * 2 - 1) * (row % 2000 == 1 ? 60f : 1f);
            features[row * 2 + 1] = (float)(random.NextDouble() * 0.5);
        }
        var statistics = new ActivationStatistics(2);
        statistics.Add(features);
        return (statistics, features);
    }

    [Fact]
    public void Max_is_exact_and_smoothing_divides_each_channel()
    {
        var (statistics, values) = Observed(1);
        float max0 = values.Where((_, i) => i % 2 == 0).Max(Math.Abs), max1 = values.Where((_, i) => i % 2 == 1).Max(Math.Abs);
        Assert.Equal([max0, max1], statistics.Maxima);
        Assert.Equal(Math.Max(max0, max1), ScaleObservers.Threshold(statistics, null, ScaleObserver.Max));
        Assert.Equal(Math.Max(max0 / 8f, max1 / 0.01f), ScaleObservers.Threshold(statistics, [8f, 0.01f], ScaleObserver.Max));
    }

    [Fact]
    public void Percentile_is_within_a_bin_of_the_sorted_values_percentile()
    {
        var (statistics, values) = Observed(2);
        var factors = new[] { 2f, 0.5f };
        var smoothed = values.Select((v, i) => Math.Abs(v) / factors[i % 2]).Where(v => v >= Low).Order().ToArray();
        float reference = smoothed[(int)Math.Ceiling(smoothed.Length * ScaleObservers.Percentile / 100) - 1];
        float threshold = ScaleObservers.Threshold(statistics, factors, ScaleObserver.Percentile);
        Assert.InRange(threshold, reference, reference * 1.0625f);
        Assert.True(threshold < ScaleObservers.Threshold(statistics, factors, ScaleObserver.Max), "the percentile clips the outliers");
    }

    [Fact]
    public void Mse_threshold_is_near_the_brute_force_minimum_over_the_values()
    {
        var (statistics, values) = Observed(3);
        var magnitudes = values.Select(Math.Abs).ToArray();
        double Error(double threshold)
        {
            double step = threshold / 127, sum = 0;
            foreach (float v in magnitudes)
            {
                double q = Math.Min(Math.Round(v / step), 127) * step;
                sum += (v - q) * (v - q);
            }
            return sum;
        }
        float max = magnitudes.Max();
        double best = Enumerable.Range(0, 128).Select(k => max * Math.Pow(2, -k / 16.0)).Min(Error);
        float chosen = ScaleObservers.Threshold(statistics, null, ScaleObserver.Mse);
        Assert.True(chosen < max, "outliers make clipping worth it");
        Assert.True(Error(chosen) <= best * 1.15, $"the chosen threshold's error {Error(chosen)} is far from the best {best}");
    }

    [Fact]
    public void An_all_zero_input_gets_a_finite_scale()
    {
        var statistics = new ActivationStatistics(3);
        statistics.Add(new float[30]);
        foreach (var observer in new[] { ScaleObserver.Max, ScaleObserver.Percentile, ScaleObserver.Mse })
        {
            Assert.Equal(127f, ScaleObservers.Threshold(statistics, null, observer));
        }
        Assert.Throws<ArgumentException>(() => ScaleObservers.Threshold(statistics, null, ScaleObserver.Auto));
        Assert.Throws<ArgumentException>(() => statistics.Add([float.NaN, 0, 0]));
    }
}
