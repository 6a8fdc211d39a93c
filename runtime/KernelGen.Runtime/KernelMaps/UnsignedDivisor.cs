using System.Runtime.CompilerServices;

namespace KernelGen.KernelMaps;

/// <summary>
/// Division of 32-bit unsigned values by a divisor known only at run time, as one 64-bit multiply and a shift
/// (Granlund and Montgomery's round-up method): the strided map divides every (input, offset) pair by the stride and the
/// kernel volume, and a hardware divide costs 10–40 cycles where this costs 3–4. .NET keeps its own fast-modulo helper
/// internal, so this is the few lines it would provide.
/// </summary>
/// <remarks>
/// With l = ⌈log₂ d⌉ and m = ⌈2^(32+l) / d⌉, ⌊n·m / 2^(32+l)⌋ = ⌊n / d⌋ for every n &lt; 2^32 because m·d − 2^(32+l) &lt; d ≤ 2^l;
/// m &lt; 2^33 and n &lt; 2^31 here (array indices and coordinates), so n·m fits 64 bits.
/// </remarks>
internal readonly struct UnsignedDivisor
{
    private readonly ulong _multiplier;
    private readonly int _shift;

    public UnsignedDivisor(int divisor)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(divisor, 1);
        Divisor = divisor;
        int log = divisor == 1 ? 0 : 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)(divisor - 1));
        _shift = 32 + log;
        _multiplier = (ulong)((((UInt128)1 << _shift) + (ulong)divisor - 1) / (ulong)divisor);
    }

    public int Divisor { get; }

    /// <summary>⌊<paramref name="value"/> / d⌋ for 0 ≤ value &lt; 2^31.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Divide(int value) => (int)(((ulong)(uint)value * _multiplier) >> _shift);

    /// <summary>The quotient and remainder of <paramref name="value"/> (0 ≤ value &lt; 2^31).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public (int Quotient, int Remainder) DivRem(int value)
    {
        int quotient = Divide(value);
        return (quotient, value - quotient * Divisor);
    }
}
