using System.Diagnostics;

namespace KernelGen.Tuning;

/// <summary>
/// Times every valid candidate for one layer on the actual accelerator and picks the fastest, as Triton's autotuner
/// and TorchSparse++'s tuner do: unavailable candidates are skipped with their reason; each candidate's first run on a
/// few rows (compilation, first use) and a timed probe on a small sample of rows come first, and one whose probe is
/// <see cref="TuningOptions.DropFactor"/> times slower than the best probe so far is dropped without repeats (GPU-style
/// kernels on ILGPU's CPU accelerator are ~30–100× slower: the tuner must not wait for them); survivors (and the
/// baseline) get <see cref="TuningOptions.Warmup"/> untimed and <see cref="TuningOptions.Repeats"/> timed runs on the
/// tuning rows and their median counts; a failure counts as infinitely slow; the layer's budget bounds the whole.
/// </summary>
public sealed class Autotuner(ITuningTimer? timer = null)
{
    private readonly ITuningTimer _timer = timer ?? new StopwatchTuningTimer();

    /// <summary>Tunes <paramref name="candidates"/> (in the given order) for <paramref name="key"/>.</summary>
    public TuningResult Tune(TuningKey key, IReadOnlyList<TuningCandidate> candidates, TuningOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(candidates);
        options ??= TuningOptions.Default;
        if (options.Repeats < 1 || options.Warmup < 0 || !(options.DropFactor > 1))
        {
            throw new ArgumentException($"tuning options need Repeats ≥ 1, Warmup ≥ 0, DropFactor > 1: {options}");
        }
        var trials = new List<Trial>(candidates.Count);
        var clock = Stopwatch.StartNew();
        double bestProbe = double.PositiveInfinity, bestMedian = double.PositiveInfinity;
        string? winner = null;
        foreach (var candidate in candidates)
        {
            if (candidate.Unavailable is { } why)
            {
                trials.Add(new Trial(candidate.Name, TrialOutcome.Unavailable, null, why));
                continue;
            }
            if (clock.Elapsed > options.LayerBudget && winner is not null)
            {
                trials.Add(new Trial(candidate.Name, TrialOutcome.OverBudget, null, $"layer budget of {options.LayerBudget.TotalSeconds:F0} s spent"));
                continue;
            }
            try
            {
                (candidate.Warm ?? candidate.Probe)();
                double probe = _timer.Measure(candidate.Name, candidate.Probe);
                if (probe > options.DropFactor * bestProbe)
                {
                    trials.Add(new Trial(candidate.Name, TrialOutcome.Dropped, null,
                        $"probe {probe:F2} ms is over {options.DropFactor:0.#}× the best probe ({bestProbe:F2} ms)", probe));
                    continue;
                }
                bestProbe = Math.Min(bestProbe, probe);
                for (int i = 0; i < options.Warmup; i++)
                {
                    candidate.Run();
                }
                var times = new double[options.Repeats];
                for (int i = 0; i < times.Length; i++)
                {
                    times[i] = _timer.Measure(candidate.Name, candidate.Run);
                }
                Array.Sort(times);
                double median = times.Length % 2 == 1 ? times[times.Length / 2] : (times[times.Length / 2 - 1] + times[times.Length / 2]) / 2;
                trials.Add(new Trial(candidate.Name, TrialOutcome.Timed, median, null, probe));
                if (median < bestMedian)
                {
                    (bestMedian, winner) = (median, candidate.Name);
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                trials.Add(new Trial(candidate.Name, TrialOutcome.Failed, null, $"{e.GetType().Name}: {e.Message}"));
            }
        }
        return winner is null
            ? throw new InvalidOperationException($"no candidate could run for {key.Text}: " +
                string.Join("; ", trials.Select(t => $"{t.Name} {t.Outcome} ({t.Reason})")))
            : new TuningResult(key, winner, trials, FromCache: false);
    }
}
