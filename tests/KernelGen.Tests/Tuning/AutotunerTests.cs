using KernelGen.Tuning;
using KernelGen.Variants;

namespace KernelGen.Tests.Tuning;

/// <summary>The tuner's decisions with a scripted clock: each candidate has a fixed time per probe and run.</summary>
public sealed class AutotunerTests
{
    private static readonly TuningKey Key = new("Test device", "1.5.3", "0.1.0.0", "SubManifold", 16, 16, "3", "1", "1", "1", "64x16x16", true, Activation.Relu, false, "F32", 14);

    private sealed class ScriptedTimer(Dictionary<string, double> times) : ITuningTimer
    {
        public Dictionary<string, int> Calls { get; } = [];

        public double Measure(string candidate, Action action)
        {
            action();
            Calls[candidate] = Calls.GetValueOrDefault(candidate) + 1;
            return times[candidate];
        }
    }

    private static TuningCandidate Candidate(string name, string? unavailable = null, bool fails = false, List<string>? runs = null) =>
        new(name, unavailable,
            () => { if (fails) { throw new InvalidOperationException("kernel failed to compile"); } },
            () => runs?.Add(name));

    [Fact]
    public void Picks_the_fastest_median_and_reports_every_trial()
    {
        var timer = new ScriptedTimer(new() { ["A"] = 3, ["B"] = 1.5, ["C"] = 2 });
        var result = new Autotuner(timer).Tune(Key, [Candidate("A"), Candidate("B"), Candidate("C")], new TuningOptions(Repeats: 3));
        Assert.Equal("B", result.Winner);
        Assert.Equal(1.5, result.WinnerMs);
        Assert.Equal(["A", "B", "C"], result.Trials.Select(t => t.Name));
        Assert.All(result.Trials, t => Assert.Equal(TrialOutcome.Timed, t.Outcome));
        Assert.Equal(4, timer.Calls["A"]); // one timed probe, three timed runs (the untimed warm-up runs are not measured)
        Assert.False(result.FromCache);
    }

    [Fact]
    public void Skips_unavailable_candidates_and_counts_failures_as_infinitely_slow()
    {
        var timer = new ScriptedTimer(new() { ["fast but broken"] = 0.1, ["gpu only"] = 0.01, ["ok"] = 5 });
        var result = new Autotuner(timer).Tune(Key,
            [Candidate("fast but broken", fails: true), Candidate("gpu only", unavailable: "this CPU lacks AvxVnni256"), Candidate("ok")]);
        Assert.Equal("ok", result.Winner);
        Assert.Equal((TrialOutcome.Failed, "InvalidOperationException: kernel failed to compile"), (result.Trials[0].Outcome, result.Trials[0].Reason));
        Assert.Equal((TrialOutcome.Unavailable, "this CPU lacks AvxVnni256"), (result.Trials[1].Outcome, result.Trials[1].Reason));
        Assert.False(timer.Calls.ContainsKey("gpu only"));
    }

    [Fact]
    public void Drops_a_candidate_whose_probe_is_several_times_slower_without_repeats()
    {
        var runs = new List<string>();
        var timer = new ScriptedTimer(new() { ["simd"] = 1, ["barrier-heavy"] = 60, ["close"] = 3.5 });
        var result = new Autotuner(timer).Tune(Key,
            [Candidate("simd", runs: runs), Candidate("barrier-heavy", runs: runs), Candidate("close", runs: runs)], new TuningOptions(Repeats: 5, DropFactor: 4));
        Assert.Equal("simd", result.Winner);
        var dropped = result.Trials[1];
        Assert.Equal(TrialOutcome.Dropped, dropped.Outcome);
        Assert.Null(dropped.MedianMs);
        Assert.Equal(60, dropped.ProbeMs);
        Assert.Equal(60, result.ProbeSpeedupOver("barrier-heavy"));
        Assert.Equal("barrier-heavy", result.SlowestProbed!.Name);
        Assert.Contains("over 4× the best probe", dropped.Reason);
        Assert.DoesNotContain("barrier-heavy", runs); // never timed beyond its probe
        Assert.Equal(TrialOutcome.Timed, result.Trials[2].Outcome); // 3.5× is within the factor: timed
    }

    [Fact]
    public void Stops_at_the_budget_once_it_has_a_winner()
    {
        var timer = new ScriptedTimer(new() { ["first"] = 2, ["second"] = 1 });
        var result = new Autotuner(timer).Tune(Key, [Candidate("first"), Candidate("second")], new TuningOptions(Budget: TimeSpan.Zero));
        Assert.Equal("first", result.Winner);
        Assert.Equal(TrialOutcome.OverBudget, result.Trials[1].Outcome);
    }

    [Fact]
    public void No_runnable_candidate_is_an_error_naming_each()
    {
        var e = Assert.Throws<InvalidOperationException>(() => new Autotuner(new ScriptedTimer([])).Tune(Key,
            [Candidate("a", unavailable: "needs CUDA"), Candidate("b", fails: true)]));
        Assert.Contains("a Unavailable (needs CUDA)", e.Message);
        Assert.Contains("b Failed (InvalidOperationException: kernel failed to compile)", e.Message);
    }
}
