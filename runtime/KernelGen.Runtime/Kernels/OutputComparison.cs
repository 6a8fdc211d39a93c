namespace KernelGen.Kernels;

/// <summary>How far a conv output is from a reference: largest absolute difference and relative L2 error.</summary>
public sealed record OutputComparison(double MaxAbsoluteError, double RelativeL2Error, long Elements)
{
    /// <summary>Compares <paramref name="actual"/> with <paramref name="expected"/> (same length).</summary>
    public static OutputComparison Of(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected)
    {
        if (actual.Length != expected.Length)
        {
            throw new ArgumentException($"cannot compare {actual.Length} values with {expected.Length}");
        }
        double maxAbs = 0, diff2 = 0, ref2 = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double d = actual[i] - expected[i];
            if (double.IsNaN(d))
            {
                maxAbs = double.NaN;
            }
            else if (!double.IsNaN(maxAbs))
            {
                maxAbs = Math.Max(maxAbs, Math.Abs(d));
            }
            diff2 += d * d;
            ref2 += expected[i] * expected[i];
        }
        double relative = ref2 > 0 ? Math.Sqrt(diff2 / ref2) : Math.Sqrt(diff2);
        return new OutputComparison(maxAbs, relative, actual.Length);
    }
}
