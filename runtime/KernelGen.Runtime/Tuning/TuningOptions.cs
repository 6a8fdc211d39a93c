namespace KernelGen.Tuning;

/// <summary>How hard the tuner tries.</summary>
/// <param name="Warmup">Untimed runs before timing (the first compiles ILGPU kernels and fills caches).</param>
/// <param name="Repeats">Timed runs of a surviving candidate; the median counts.</param>
/// <param name="DropFactor">A candidate whose probe is this many times slower than the best probe so far is dropped without repeats.</param>
/// <param name="Budget">Time for one layer; candidates not reached by then are skipped and reported.</param>
public sealed record TuningOptions(int Warmup = 1, int Repeats = 5, double DropFactor = 4, TimeSpan? Budget = null)
{
    /// <summary>The defaults: 1 warm-up, median of 5, drop at 4× the best probe, 30 s per layer.</summary>
    public static TuningOptions Default { get; } = new();

    /// <summary>The per-layer budget.</summary>
    public TimeSpan LayerBudget => Budget ?? TimeSpan.FromSeconds(30);
}
