namespace KernelGen.Quantization;

/// <summary>
/// How far an output is from a reference: the seed study's L1 (mean absolute difference), relative L2, cosine
/// similarity and SQNR. L1 grows with the output's scale; the other three do not, which is why a scale sweep needs them.
/// </summary>
/// <param name="L1">mean |a − r|.</param>
/// <param name="RelativeL2">‖a − r‖₂ / ‖r‖₂.</param>
/// <param name="Cosine">a·r / (‖a‖₂ ‖r‖₂); 1 when both are zero.</param>
/// <param name="SqnrDb">10 log10(‖r‖² / ‖a − r‖²); +∞ when identical.</param>
/// <param name="MaxAbsolute">max |a − r|.</param>
public sealed record ErrorMetrics(double L1, double RelativeL2, double Cosine, double SqnrDb, double MaxAbsolute)
{
    /// <summary>Compares <paramref name="actual"/> with <paramref name="reference"/> (same length).</summary>
    public static ErrorMetrics Compare(ReadOnlySpan<float> actual, ReadOnlySpan<double> reference)
    {
        if (actual.Length != reference.Length)
        {
            throw new ArgumentException($"cannot compare {actual.Length} values with {reference.Length}");
        }
        double l1 = 0, diff2 = 0, ref2 = 0, act2 = 0, dot = 0, max = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double a = actual[i], r = reference[i], d = a - r;
            l1 += Math.Abs(d);
            diff2 += d * d;
            ref2 += r * r;
            act2 += a * a;
            dot += a * r;
            max = Math.Max(max, Math.Abs(d));
            if (double.IsNaN(d))
            {
                max = double.NaN;
            }
        }
        int n = Math.Max(1, actual.Length);
        double cosine = act2 == 0 && ref2 == 0 ? 1 : dot / Math.Sqrt(act2 * ref2);
        double relative = ref2 > 0 ? Math.Sqrt(diff2 / ref2) : Math.Sqrt(diff2);
        double sqnr = diff2 == 0 ? double.PositiveInfinity : 10 * Math.Log10(ref2 / diff2);
        return new ErrorMetrics(l1 / n, relative, cosine, sqnr, max);
    }

    /// <summary>Compares two fp32 outputs.</summary>
    public static ErrorMetrics Compare(ReadOnlySpan<float> actual, ReadOnlySpan<float> reference)
    {
        var wide = new double[reference.Length];
        for (int i = 0; i < wide.Length; i++)
        {
            wide[i] = reference[i];
        }
        return Compare(actual, wide);
    }
}
