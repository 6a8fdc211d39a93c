namespace KernelGen.Profiles;

/// <summary>What the network's output must keep of fp32 on every calibration sample scan: a cosine, or an SQNR in dB.</summary>
public sealed record CalibrationTarget(double? Cosine = 0.999, double? SqnrDb = null)
{
    /// <summary>
    /// The target a user gave: a cosine in (−1, 1], a finite SQNR, either or both; neither means the default (cosine ≥
    /// 0.999). Anything else is an <see cref="ArgumentException"/> naming the option.
    /// </summary>
    public static CalibrationTarget Of(double? cosine, double? sqnrDb)
    {
        if (cosine is { } c && !(c is > -1 and <= 1))
        {
            throw new ArgumentException($"--target-cosine must be in (-1, 1], got {c}");
        }
        if (sqnrDb is { } s && !(double.IsFinite(s) && s > 0))
        {
            throw new ArgumentException($"--target-sqnr must be a positive, finite number of dB (an output at 0 dB is as much error as signal), got {s}");
        }
        return cosine is null && sqnrDb is null ? new CalibrationTarget() : new CalibrationTarget(cosine, sqnrDb);
    }

    /// <summary>Whether <paramref name="agreement"/> meets the target on its worst scan.</summary>
    public bool MetBy(OutputAgreement agreement) =>
        (Cosine is not { } c || agreement.WorstCosine >= c) && (SqnrDb is not { } s || agreement.WorstSqnrDb >= s);

    /// <summary>e.g. "cosine ≥ 0.999".</summary>
    public override string ToString() => string.Join(" and ",
        new[] { Cosine is { } c ? $"cosine ≥ {c}" : null, SqnrDb is { } s ? $"SQNR ≥ {s} dB" : null }.Where(t => t is not null));
}
