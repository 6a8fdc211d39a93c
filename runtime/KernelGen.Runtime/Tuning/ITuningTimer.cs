using System.Diagnostics;

namespace KernelGen.Tuning;

/// <summary>Measures one call in milliseconds (injectable: tests script the times).</summary>
public interface ITuningTimer
{
    /// <summary>Runs <paramref name="action"/> of candidate <paramref name="candidate"/> once and returns its time in ms.</summary>
    double Measure(string candidate, Action action);
}

/// <summary>Wall-clock time of the call (candidates synchronise the device themselves).</summary>
public sealed class StopwatchTuningTimer : ITuningTimer
{
    /// <inheritdoc />
    public double Measure(string candidate, Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        long start = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }
}
