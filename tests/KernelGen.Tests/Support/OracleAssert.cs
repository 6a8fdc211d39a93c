using KernelGen.Tensors;

namespace KernelGen.Tests.Support;

public static class OracleAssert
{
    /// <summary>
    /// Every output site of <paramref name="actual"/> is an oracle site and vice versa, and every value is within fp32
    /// accumulation error of the double oracle: |a - e| ≤ 1e-5 · Σ|terms| + 1e-6 (NaN from a poisoned, unwritten
    /// element fails). Overall relative L2 error ≤ 1e-5.
    /// </summary>
    public static void Matches(SparseTensor actual, DenseConv3dOracle.Result expected, string context)
    {
        Assert.True(expected.Rows.Count == actual.Count,
            $"{context}: {actual.Count} output sites, oracle has {expected.Rows.Count}");
        Assert.Equal(expected.Channels, actual.Channels);
        double diff2 = 0, ref2 = 0;
        for (int row = 0; row < actual.Count; row++)
        {
            var site = (actual.Coordinates[row * 4], actual.Coordinates[row * 4 + 1], actual.Coordinates[row * 4 + 2], actual.Coordinates[row * 4 + 3]);
            Assert.True(expected.Rows.TryGetValue(site, out int oracleRow), $"{context}: output site {site} is not an oracle output site");
            for (int n = 0; n < actual.Channels; n++)
            {
                double a = actual.Features[row * actual.Channels + n];
                double e = expected.Values[oracleRow * expected.Channels + n];
                double bound = 1e-5 * expected.AbsSums[oracleRow * expected.Channels + n] + 1e-6;
                Assert.True(Math.Abs(a - e) <= bound,
                    $"{context}: site {site} channel {n}: got {a}, oracle {e}, bound {bound}");
                diff2 += (a - e) * (a - e);
                ref2 += e * e;
            }
        }
        if (ref2 > 0)
        {
            Assert.True(Math.Sqrt(diff2 / ref2) <= 1e-5, $"{context}: relative L2 error {Math.Sqrt(diff2 / ref2)}");
        }
    }

    /// <summary>Rows sorted by (batch, z, y, x), strictly.</summary>
    public static void SortedAndUnique(int[] coordinates, string context)
    {
        for (int row = 1; row < coordinates.Length / 4; row++)
        {
            int cmp = 0;
            for (int c = 0; c < 4 && cmp == 0; c++)
            {
                cmp = coordinates[(row - 1) * 4 + c].CompareTo(coordinates[row * 4 + c]);
            }
            Assert.True(cmp < 0, $"{context}: output rows {row - 1} and {row} are not in strictly increasing (batch, z, y, x) order");
        }
    }
}
