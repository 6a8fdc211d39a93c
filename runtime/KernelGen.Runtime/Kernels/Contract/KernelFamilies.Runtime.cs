using System.Reflection;
using System.Runtime.Intrinsics;

namespace KernelGen.Kernels;

/// <summary>The runtime's reading of the kernel table: rows by enum value, and whether this CPU can run a path.</summary>
internal static partial class KernelFamilies
{
    /// <summary>The first row of <paramref name="set"/> (the portable set has one per precision, alike but for the precision).</summary>
    public static CpuPath PathOf(CpuInstructionSet set) =>
        CpuPaths.FirstOrDefault(p => p.InstructionSet == set.ToString())
        ?? throw new InvalidOperationException($"the kernel table has no row for CpuInstructionSet.{set}");

    /// <summary>The CPU paths of <paramref name="precision"/>'s kernels, in the table's order (widest first, scalar last).</summary>
    public static IEnumerable<CpuInstructionSet> PathsOf(Precision precision) =>
        CpuPaths.Where(p => p.Precision == precision.ToString()).Select(p => Enum.Parse<CpuInstructionSet>(p.InstructionSet));

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> Probed = new();

    /// <summary>
    /// Whether this CPU has what <paramref name="path"/> requires: each named <c>System.Runtime.Intrinsics.X86</c> class
    /// reports <c>IsSupported</c>, and its vector type is hardware accelerated.
    /// </summary>
    public static bool HardwareSupports(CpuPath path) => Probed.GetOrAdd(path.InstructionSet, _ =>
    {
        bool vectors = path.VectorType switch
        {
            "" => true,
            "Vector256" => Vector256.IsHardwareAccelerated,
            "Vector512" => Vector512.IsHardwareAccelerated,
            _ => false,
        };
        return vectors && path.Requires.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).All(IsSupported);
    });

    private static bool IsSupported(string intrinsicsClass)
    {
        var type = typeof(System.Runtime.Intrinsics.X86.X86Base).Assembly.GetType($"System.Runtime.Intrinsics.X86.{intrinsicsClass}")
            ?? throw new InvalidOperationException($"the kernel table requires System.Runtime.Intrinsics.X86.{intrinsicsClass}, which this .NET does not have");
        return type.GetProperty("IsSupported", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) is true;
    }
}
