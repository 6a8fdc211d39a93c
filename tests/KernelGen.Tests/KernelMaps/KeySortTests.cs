using KernelGen.KernelMaps;
using KernelGen.Tests.Support;

namespace KernelGen.Tests.KernelMaps;

/// <summary>The radix sort equals a stable comparison sort for every key width (1 to 5 passes) and keeps equal keys in order.</summary>
public sealed class KeySortTests
{
    [Theory]
    [InlineData(1L)]
    [InlineData((1L << 13) - 1)]   // one pass of 13 bits
    [InlineData((1L << 24) - 5)]   // two of 12
    [InlineData(1L << 27)]         // three, the top digit nearly empty
    [InlineData(long.MaxValue)]    // five of 13: the whole non-negative range
    public void Equals_a_stable_sort(long maxKey)
    {
        var random = new RandomSparse();
        foreach (int count in new[] { 0, 1, 2, 37, 20_000 })
        {
            // Few distinct keys as well as many: equal keys must keep their payloads' order.
            long distinct = Math.Min(maxKey, count / 3 + 1);
            var pool = Enumerable.Range(0, (int)distinct).Select(_ => random.Random.NextInt64(0, maxKey) + (random.Random.Next(8) == 0 ? 1 : 0)).ToArray();
            var keys = Enumerable.Range(0, count + 5).Select(_ => pool[random.Random.Next(pool.Length)]).ToArray();
            var payload = Enumerable.Range(0, count + 5).ToArray();
            var expected = Enumerable.Range(0, count).OrderBy(i => keys[i]).ToArray(); // LINQ's OrderBy is stable
            var tail = keys[count..];

            KeySort.Sort(keys, payload, count, maxKey);

            Assert.True(expected.AsSpan().SequenceEqual(payload.AsSpan(0, count)), $"count {count}, maxKey {maxKey} (seed {random.Seed})");
            Assert.True(tail.AsSpan().SequenceEqual(keys.AsSpan(count)), "entries past count are untouched");
            Assert.True(Enumerable.Range(1, Math.Max(count - 1, 0)).All(i => keys[i - 1] <= keys[i]));
        }
    }

    [Fact]
    public void Strictly_increasing_refuses_equal_neighbours()
    {
        Assert.True(KeySort.StrictlyIncreasing([]));
        Assert.True(KeySort.StrictlyIncreasing([3, 4, 9]));
        Assert.False(KeySort.StrictlyIncreasing([3, 4, 4]));
        Assert.False(KeySort.StrictlyIncreasing([3, 2]));
    }
}
