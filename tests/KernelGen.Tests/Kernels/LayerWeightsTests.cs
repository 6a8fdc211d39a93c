using KernelGen;
using KernelGen.Kernels;
using KernelGen.KernelMaps;
using KernelGen.Tests.Support;

namespace KernelGen.Tests.Kernels;

/// <summary>Weights are quantized once per quantization: static scales reuse the int8 weights frame after frame.</summary>
public sealed class LayerWeightsTests
{
    [Fact]
    public void The_same_quantization_gives_the_same_int8_weights_and_another_one_new_ones()
    {
        var random = new RandomSparse(3);
        var weights = new LayerWeights(new ConvWeights(random.Normal(6 * 27 * 4), 6, Triple.All(3), 4, random.Normal(6)));
        var smoothing = new[] { 1f, 2f, 0.5f, 1f };
        var first = weights.Quantized(new LayerQuantization(0.02f, smoothing, 0.5));

        // Equal by value (a new record with a copy of the factors): the same prepared weights, packing and all.
        var again = weights.Quantized(new LayerQuantization(0.02f, (float[])smoothing.Clone(), 0.5));
        Assert.Same(first, again);
        Assert.Same(first.Int8, again.Int8);

        var other = weights.Quantized(new LayerQuantization(0.03f, smoothing, 0.5));
        Assert.NotSame(first, other);
        Assert.Equal(0.03f, other.Int8!.ActivationScale);
        Assert.NotEqual(first.Int8!.DequantizeScales, other.Int8.DequantizeScales);
        Assert.Same(first.Packed, other.Packed); // the fp32 packing is shared by every quantized copy
    }

    [Fact]
    public void Alternating_plans_keep_their_int8_weights_up_to_the_kept_count()
    {
        var random = new RandomSparse(4);
        var weights = new LayerWeights(new ConvWeights(random.Normal(5 * 27 * 4), 5, Triple.All(3), 4, random.Normal(5)));
        LayerQuantization Plan(int i) => new(0.01f * (i + 1), [1f, 1f + i, 1f, 0.5f], 0.5);
        var firsts = Enumerable.Range(0, 3).Select(i => weights.Quantized(Plan(i))).ToList();
        // naive, SmoothQuant, policy, naive, …: each plan gets its own weights back every time.
        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < 3; i++)
            {
                Assert.Same(firsts[i], weights.Quantized(Plan(i)));
            }
        }
        // More distinct quantizations than are kept: the least recently used goes, and comes back as new weights.
        for (int i = 3; i < 3 + LayerWeights.KeptQuantizations; i++)
        {
            weights.Quantized(Plan(i));
        }
        var requantized = weights.Quantized(Plan(0));
        Assert.NotSame(firsts[0], requantized);
        Assert.Equal(firsts[0].Int8!.Quantized, requantized.Int8!.Quantized);
    }
}
