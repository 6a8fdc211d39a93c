using System.Numerics;

namespace KernelGen.Profiles;

/// <summary>
/// What calibration keeps of one node's input over any number of scans, per input channel: the largest |x| and a
/// histogram of |x| over fixed bins. Both merge exactly and in any order (max by max, counts by integer sums), so a
/// calibration split over machines gives the same statistics as one run over every scan.
/// </summary>
/// <remarks>
/// The bins are fixed by the float format, not by the data: bin b ≥ 1 holds |x| whose float bits, shifted right by 19,
/// equal <see cref="FirstBinBits"/> + b − 1 — 16 bins per octave (the exponent and the top 4 mantissa bits) from
/// 2^−32 to 2^32; bin 0 holds zeros and anything below 2^−32, the last bin anything from 2^32 up (and ∞). A bin is at
/// most 6.25 % wide relative to its lower edge, so a percentile or MSE threshold read from it is within 6.25 %, and
/// the maximum is kept exactly besides.
/// </remarks>
public sealed class ActivationStatistics
{
    /// <summary>Bins per octave: the top 4 mantissa bits.</summary>
    public const int BinsPerOctave = 16;

    /// <summary>Float bits &gt;&gt; 19 of the first bin's lower edge, 2^−32.</summary>
    public const int FirstBinBits = (127 - 32) << 4;

    /// <summary>Bins: zero/underflow, 64 octaves of 16, overflow.</summary>
    public const int BinCount = 64 * BinsPerOctave + 2;

    /// <summary>Empty statistics for <paramref name="channels"/> input channels.</summary>
    public ActivationStatistics(int channels)
    {
        if (channels <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "a node's input has at least one channel");
        }
        Channels = channels;
        Maxima = new float[channels];
        Histograms = Enumerable.Range(0, channels).Select(_ => new long[BinCount]).ToArray();
    }

    /// <summary>Input channels.</summary>
    public int Channels { get; }

    /// <summary>Input rows (sites) observed.</summary>
    public long Rows { get; private set; }

    /// <summary>max |x| per channel.</summary>
    public float[] Maxima { get; }

    /// <summary>Counts of |x| per channel and bin [Channels][BinCount].</summary>
    public long[][] Histograms { get; }

    /// <summary>The bin |<paramref name="value"/>| falls in.</summary>
    public static int BinOf(float value)
    {
        int bits = BitConverter.SingleToInt32Bits(value) & 0x7FFF_FFFF;
        int bin = (bits >> 19) - FirstBinBits + 1;
        return bin < 1 ? 0 : bin >= BinCount - 1 ? BinCount - 1 : bin;
    }

    /// <summary>The lower edge of bin <paramref name="bin"/> ≥ 1 (bin 0 starts at 0).</summary>
    public static float LowerEdge(int bin) => bin <= 0 ? 0f : BitConverter.Int32BitsToSingle((FirstBinBits + bin - 1) << 19);

    /// <summary>The upper edge of bin <paramref name="bin"/> (the last bin: +∞).</summary>
    public static float UpperEdge(int bin) => bin >= BinCount - 1 ? float.PositiveInfinity : LowerEdge(bin + 1);

    /// <summary>Adds the features [N, Channels] of one scan.</summary>
    public void Add(ReadOnlySpan<float> features)
    {
        if (features.Length % Channels != 0)
        {
            throw new ArgumentException($"features of length {features.Length} are not [N, {Channels}]");
        }
        for (int i = 0; i < features.Length; i++)
        {
            int c = i % Channels;
            float magnitude = Math.Abs(features[i]);
            if (float.IsNaN(magnitude))
            {
                throw new ArgumentException($"a non-finite activation (row {i / Channels}, channel {c}) cannot be calibrated");
            }
            if (magnitude > Maxima[c])
            {
                Maxima[c] = magnitude;
            }
            Histograms[c][BinOf(magnitude)]++;
        }
        Rows += features.Length / Channels;
    }

    /// <summary>Adds <paramref name="other"/>'s observations: exact, and the same in any order.</summary>
    public void Merge(ActivationStatistics other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Channels != Channels)
        {
            throw new ArgumentException($"statistics of {other.Channels} channels cannot merge into {Channels}");
        }
        for (int c = 0; c < Channels; c++)
        {
            Maxima[c] = Math.Max(Maxima[c], other.Maxima[c]);
            var mine = Histograms[c];
            var theirs = other.Histograms[c];
            for (int b = 0; b < BinCount; b++)
            {
                mine[b] += theirs[b];
            }
        }
        Rows += other.Rows;
    }

    /// <summary>Statistics read back from a file: every field checked.</summary>
    internal static ActivationStatistics From(int channels, long rows, float[] maxima, long[][] histograms, string at)
    {
        if (maxima.Length != channels || histograms.Length != channels || histograms.Any(h => h.Length != BinCount))
        {
            throw new InvalidDataException($"{at}: statistics for {channels} channels need {channels} maxima and {channels} histograms of {BinCount} bins");
        }
        if (rows < 0 || maxima.Any(m => !float.IsFinite(m) || m < 0) || histograms.Any(h => h.Any(n => n < 0)))
        {
            throw new InvalidDataException($"{at}: negative counts or non-finite maxima");
        }
        var statistics = new ActivationStatistics(channels) { Rows = rows };
        maxima.CopyTo(statistics.Maxima, 0);
        for (int c = 0; c < channels; c++)
        {
            histograms[c].CopyTo(statistics.Histograms[c], 0);
        }
        return statistics;
    }

    /// <summary>Value equality (tests: a merge of shards equals one run over every scan).</summary>
    public bool SameAs(ActivationStatistics other) =>
        other.Channels == Channels && other.Rows == Rows && other.Maxima.AsSpan().SequenceEqual(Maxima)
        && Enumerable.Range(0, Channels).All(c => other.Histograms[c].AsSpan().SequenceEqual(Histograms[c]));
}
