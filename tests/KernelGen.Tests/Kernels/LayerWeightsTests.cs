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
}
