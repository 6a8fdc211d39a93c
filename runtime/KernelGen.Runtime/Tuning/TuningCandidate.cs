namespace KernelGen.Tuning;

/// <summary>
/// One thing the tuner may choose: a generated variant or the generic kernel, with the calls that run it on the
/// tuning sample (<paramref name="Run"/>) and on the smaller probe sample (<paramref name="Probe"/>). Both must
/// include any device synchronisation, so the time measured is the work done.
/// </summary>
/// <param name="Name">Variant name, as cached.</param>
/// <param name="Unavailable">Why it cannot run on this accelerator, or null when it can.</param>
/// <param name="Probe">Runs it on the probe rows (the first, sub-sampled run that may drop it).</param>
/// <param name="Run">Runs it on the tuning rows.</param>
/// <param name="Warm">Runs it on a few rows, untimed, so compilation and first-use costs stay out of the probe (the probe itself when null).</param>
public sealed record TuningCandidate(string Name, string? Unavailable, Action Probe, Action Run, Action? Warm = null);
