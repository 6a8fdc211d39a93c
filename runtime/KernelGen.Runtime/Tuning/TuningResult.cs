namespace KernelGen.Tuning;

/// <summary>What happened to a candidate.</summary>
public enum TrialOutcome
{
    /// <summary>Timed: its median counts.</summary>
    Timed,

    /// <summary>Its probe was several times slower than the best: dropped without repeats.</summary>
    Dropped,

    /// <summary>It threw while compiling or running: counts as infinitely slow.</summary>
    Failed,

    /// <summary>It cannot run on this accelerator (group size, shared memory, instruction set, device kind).</summary>
    Unavailable,

    /// <summary>The layer's time budget ran out before it was tried.</summary>
    OverBudget,
}

/// <summary>One candidate's trial.</summary>
/// <param name="Name">Candidate name.</param>
/// <param name="Outcome">What happened.</param>
/// <param name="MedianMs">Median of the timed runs (Timed), or the probe time (Dropped); null otherwise.</param>
/// <param name="Reason">Why it was dropped, failed or skipped.</param>
/// <param name="ProbeMs">Its probe time on the probe rows, when probed: every probed candidate, dropped or not, is
/// comparable on it.</param>
public sealed record Trial(string Name, TrialOutcome Outcome, double? MedianMs, string? Reason, double? ProbeMs = null);

/// <summary>The tuner's choice for one key.</summary>
/// <param name="Key">What the choice depends on.</param>
/// <param name="Winner">The fastest timed candidate.</param>
/// <param name="Trials">Every candidate, in the order tried.</param>
/// <param name="FromCache">True when the choice was read from the cache instead of measured.</param>
public sealed record TuningResult(TuningKey Key, string Winner, IReadOnlyList<Trial> Trials, bool FromCache)
{
    /// <summary>The winner's median time (ms), when measured in this run or stored.</summary>
    public double? WinnerMs => Trials.FirstOrDefault(t => t.Name == Winner && t.Outcome == TrialOutcome.Timed)?.MedianMs;

    /// <summary>How many times faster the winner's probe is than <paramref name="other"/>'s (null when either was not probed).</summary>
    public double? ProbeSpeedupOver(string other)
    {
        double? mine = Trials.FirstOrDefault(t => t.Name == Winner)?.ProbeMs;
        double? theirs = Trials.FirstOrDefault(t => t.Name == other)?.ProbeMs;
        return mine is > 0 && theirs is not null ? theirs / mine : null;
    }

    /// <summary>The slowest probed candidate.</summary>
    public Trial? SlowestProbed => Trials.Where(t => t.ProbeMs is not null).MaxBy(t => t.ProbeMs);
}
