using KernelGen.Kernels;

namespace KernelGen.Variants;

/// <summary>
/// Which CPU instruction-set paths may run in this process: those the CPU has, narrowed by an allow-list. Tools and
/// benchmarks restrict the paths with the environment variable <c>KERNELGEN_CPU_ISA</c> (comma-separated
/// <see cref="CpuInstructionSet"/> names, case-insensitive, e.g. <c>portable,vector256fma</c>); code and tests use
/// <see cref="Restrict"/>, which holds for the calling flow (an <see cref="AsyncLocal{T}"/>, so tests running in
/// parallel do not see each other's restrictions). The portable path is always allowed: it is the last resort.
/// </summary>
public static class CpuFeatures
{
    /// <summary>The environment variable read once at start-up.</summary>
    public const string EnvironmentVariable = "KERNELGEN_CPU_ISA";

    private static readonly AsyncLocal<IReadOnlySet<CpuInstructionSet>?> Scoped = new();
    private static readonly Lazy<IReadOnlySet<CpuInstructionSet>?> FromEnvironment = new(
        () => Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } text ? Parse(text) : null);

    /// <summary>Whether the CPU itself has <paramref name="set"/>, whatever the allow-list says (what the kernel table's row requires).</summary>
    public static bool HardwareSupports(CpuInstructionSet set) => KernelFamilies.HardwareSupports(KernelFamilies.PathOf(set));

    /// <summary>
    /// The vector instruction sets of <paramref name="precision"/>'s CPU kernels (the kernel table's rows, widest first;
    /// the portable path left out), whether or not this CPU has them.
    /// </summary>
    public static IReadOnlyList<CpuInstructionSet> VectorPathsOf(Precision precision) =>
        KernelFamilies.PathsOf(precision).Where(set => set != CpuInstructionSet.Portable).ToList();

    /// <summary>Whether <paramref name="set"/> is allowed by the current restriction (the portable path always is).</summary>
    public static bool IsAllowed(CpuInstructionSet set) =>
        set == CpuInstructionSet.Portable || (Scoped.Value ?? FromEnvironment.Value)?.Contains(set) != false;

    /// <summary>Whether <paramref name="set"/> can run here: the CPU has it and it is allowed.</summary>
    public static bool Supports(CpuInstructionSet set) => IsAllowed(set) && HardwareSupports(set);

    /// <summary>Why <paramref name="set"/> cannot run here, or null when it can.</summary>
    public static string? WhyNot(CpuInstructionSet set) =>
        !HardwareSupports(set) ? $"this CPU lacks {set}"
        : !IsAllowed(set) ? $"{set} is excluded by the instruction-set restriction ({Describe()})"
        : null;

    /// <summary>
    /// Allows only <paramref name="sets"/> (and the portable path) until the returned scope is disposed, for the calling
    /// flow and the tasks it starts. Nested scopes replace the outer one and restore it when disposed.
    /// </summary>
    public static IDisposable Restrict(params CpuInstructionSet[] sets)
    {
        ArgumentNullException.ThrowIfNull(sets);
        var previous = Scoped.Value;
        Scoped.Value = new HashSet<CpuInstructionSet>(sets);
        return new Scope(previous);
    }

    /// <summary>The instruction sets this machine can run under the current restriction, widest last.</summary>
    public static IReadOnlyList<CpuInstructionSet> Available => Enum.GetValues<CpuInstructionSet>().Where(Supports).ToList();

    /// <summary>
    /// Parses an allow-list such as <c>portable, vector256fma</c>; an unknown name is an <see cref="ArgumentException"/>
    /// that lists the valid ones.
    /// </summary>
    public static IReadOnlySet<CpuInstructionSet> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sets = new HashSet<CpuInstructionSet>();
        foreach (var name in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Enum.TryParse<CpuInstructionSet>(name, ignoreCase: true, out var set) || !Enum.IsDefined(set))
            {
                throw new ArgumentException(
                    $"{EnvironmentVariable}: unknown instruction set '{name}'; valid: {string.Join(", ", Enum.GetNames<CpuInstructionSet>().Select(n => n.ToLowerInvariant()))}");
            }
            sets.Add(set);
        }
        return sets;
    }

    private static string Describe() =>
        (Scoped.Value ?? FromEnvironment.Value) is { } allowed
            ? "allowed: " + string.Join(", ", allowed.Append(CpuInstructionSet.Portable).Distinct().Order())
            : "none";

    private sealed class Scope(IReadOnlySet<CpuInstructionSet>? previous) : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (!_disposed)
            {
                _disposed = true;
                Scoped.Value = previous;
            }
        }
    }
}
