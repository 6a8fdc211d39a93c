using KernelGen.KernelMaps;
using KernelGen.Tests.Support;

namespace KernelGen.Tests.KernelMaps;

/// <summary>The multiply-and-shift division equals the hardware's on every edge of the range it promises.</summary>
public sealed class UnsignedDivisorTests
{
    [Fact]
    public void Equals_integer_division_for_every_divisor_shape()
    {
        var random = new RandomSparse().Random;
        int[] divisors = [1, 2, 3, 5, 7, 8, 9, 27, 64, 125, 343, 1000, 65_535, 65_536, 1_000_003, int.MaxValue];
        foreach (int d in divisors.Concat(Enumerable.Range(0, 50).Select(_ => random.Next(1, int.MaxValue))))
        {
            var divisor = new UnsignedDivisor(d);
            long[] edges = [0, 1, d - 1L, d, d + 1L, 2L * d - 1, 2L * d, int.MaxValue - 1L, int.MaxValue];
            foreach (int n in edges.Where(v => v is >= 0 and <= int.MaxValue).Select(v => (int)v)
                         .Concat(Enumerable.Range(0, 2000).Select(_ => random.Next())))
            {
                Assert.Equal((n / d, n % d), divisor.DivRem(n));
            }
        }
    }

    [Fact]
    public void A_divisor_below_one_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new UnsignedDivisor(0));
}
