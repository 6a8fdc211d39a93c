using KernelGen.Kernels;

namespace KernelGen.Tuning;

/// <summary>The tuner's answer for one layer use: the kernel itself, the trials behind it, and any warning.</summary>
/// <param name="Kernel">The winning kernel (a generated variant or a generic kernel, through the contract).</param>
/// <param name="Result">The key and every candidate's trial (from the cache or measured now).</param>
/// <param name="Warning">Why a cached choice was not used (stale name, changed candidate set), or null.</param>
public sealed record KernelChoice(IConvKernel Kernel, TuningResult Result, string? Warning = null);
