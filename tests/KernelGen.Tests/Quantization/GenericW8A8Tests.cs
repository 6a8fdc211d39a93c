using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Quantization;
using KernelGen.Tensors;
using KernelGen.Tests.Support;

namespace KernelGen.Tests.Quantization;

/// <summary>Every path of the generic W8A8 kernel against the exact integer reference.</summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class GenericW8A8Tests(CpuAcceleratorFixture fixture)
{
    private readonly GenericW8A8ImplicitGemm _gemm = new(fixture.Session.Accelerator);

    [Theory]
    [InlineData("subm", false, false)]
    [InlineData("subm", true, false)]
    [InlineData("sparse", false, true)]
    [InlineData("sparse", true, true)]
    public void Fp32_in_fp32_out_equals_the_integer_reference(string kind, bool smooth, bool relu)
    {
        var (input, map, weights, random) = Layer(kind, cin: 7, cout: 9);
        var maxima = LayerQuantizer.ChannelMaxima(input.Features, input.Channels);
        var quantized = LayerQuantization.Calibrate(weights, maxima, smooth, alpha: 0.6).Apply(weights);
        var reference = Int8Reference.Conv(input, map, weights, quantized.ActivationScale, quantized.Smoothing, relu);
        Assert.Equal(reference.QuantizedWeights, quantized.Quantized);
        var output = Poison.Floats(map.OutputCount * 9);
        _gemm.Run(input, map, quantized, relu ? Activation.Relu : Activation.None, output);
        AssertWithinEpilogueRounding(output, reference, $"{kind} smooth={smooth} (seed {random.Seed})");
    }

    [Fact]
    public void Residual_is_added_before_the_relu()
    {
        var (input, map, weights, random) = Layer("subm", cin: 8, cout: 8);
        var quantized = LayerQuantization.Calibrate(weights, LayerQuantizer.ChannelMaxima(input.Features, 8), smoothQuant: false).Apply(weights);
        var residual = random.Normal(map.OutputCount * 8);
        var plain = Int8Reference.Conv(input, map, weights, quantized.ActivationScale, null, relu: false);
        var output = Poison.Floats(residual.Length);
        _gemm.Run(input, map, quantized, Activation.Relu, output, residual);
        for (int i = 0; i < output.Length; i++)
        {
            double expected = Math.Max(0, plain.Values[i] + residual[i]);
            Assert.True(Math.Abs(output[i] - expected) <= 1e-6 * (plain.Magnitudes[i] + Math.Abs(residual[i])) + 1e-7,
                $"element {i}: {output[i]} vs {expected} (seed {random.Seed})");
        }
    }

    [Fact]
    public void Int8_chain_passes_quantized_activations_to_the_next_layer()
    {
        // Layer A (fp32 in) writes int8 already quantized for layer B (its s_x and SmoothQuant factors); B reads them
        // as its quantized input. The chain must equal B's integer reference on A's re-quantized output.
        var (input, map, weightsA, random) = Layer("subm", cin: 8, cout: 12);
        var a = LayerQuantization.Calibrate(weightsA, LayerQuantizer.ChannelMaxima(input.Features, 8), smoothQuant: false).Apply(weightsA);
        var aReference = Int8Reference.Conv(input, map, weightsA, a.ActivationScale, null, relu: true);

        var weightsB = new ConvWeights(random.Normal(10 * 27 * 12), 10, Triple.All(3), 12, random.Normal(10));
        var aMaxima = new float[12];
        for (int i = 0; i < aReference.Values.Length; i++)
        {
            aMaxima[i % 12] = Math.Max(aMaxima[i % 12], (float)Math.Abs(aReference.Values[i]));
        }
        var b = LayerQuantization.Calibrate(weightsB, aMaxima, smoothQuant: true, alpha: 0.5).Apply(weightsB);

        var int8 = new sbyte[map.OutputCount * 12];
        Array.Fill(int8, sbyte.MinValue);
        _gemm.RunInt8(input, map, a, Activation.Relu, int8, b.ActivationMultipliers);
        // A's epilogue quantized exactly as B's prologue would have (one LSB of slack where fp32 epilogue rounding
        // lands on the other side of a .5).
        int exact = 0;
        for (int i = 0; i < int8.Length; i++)
        {
            int expected = Int8Reference.RoundClamp((float)aReference.Values[i] * b.ActivationMultipliers[i % 12]);
            Assert.True(Math.Abs(int8[i] - expected) <= 1, $"A's int8 element {i}: {int8[i]} vs {expected}");
            exact += int8[i] == expected ? 1 : 0;
        }
        Assert.True(exact >= int8.Length * 0.99);

        // B consumes the int8 tensor directly.
        var output = Poison.Floats(map.OutputCount * 10);
        _gemm.RunFromInt8(int8, map.OutputCount, map, b, Activation.None, output);
        var qw = b.Quantized;
        for (int row = 0; row < map.OutputCount; row++)
        {
            for (int n = 0; n < 10; n++)
            {
                long acc = 0;
                for (int k = 0; k < 27; k++)
                {
                    int source = map.OutIn[row * 27 + k];
                    for (int c = 0; source >= 0 && c < 12; c++)
                    {
                        acc += int8[source * 12 + c] * qw[(n * 27 + k) * 12 + c];
                    }
                }
                double expected = acc * (double)b.ActivationScale * b.WeightScales[n] + weightsB.Bias![n];
                Assert.True(Math.Abs(output[row * 10 + n] - expected) <= 1e-6 * Math.Abs(acc * (double)b.ActivationScale * b.WeightScales[n]) + 1e-6 * Math.Abs(weightsB.Bias[n]) + 1e-7,
                    $"B's row {row} channel {n}: {output[row * 10 + n]} vs {expected} (seed {random.Seed})");
            }
        }
    }

    [Fact]
    public void Empty_input_flows_through()
    {
        var input = SparseTensor.Empty(4, new SpatialShape(4, 4, 4));
        var map = new CpuKernelMapBuilder().Build(input, ConvGeometry.Uniform(ConvKind.Sparse, 3, 2, 1));
        var weights = new ConvWeights(new float[2 * 27 * 4], 2, Triple.All(3), 4);
        _gemm.Run(input, map, W8A8LayerWeights.Create(weights, 1f), Activation.None, []);
    }

    [Fact]
    public void Accumulator_overflow_is_refused()
    {
        var weights = new ConvWeights(new float[125 * 4096], 1, Triple.All(5), 4096);
        var e = Assert.Throws<ArgumentException>(() => W8A8LayerWeights.Create(weights, 1f));
        Assert.Equal("int32 accumulator could overflow: K=125 × Cin=4096 (padded to 4096) products of up to 127 × 127 (s8 activations) sum to 8258048000 > 2147483647", e.Message);
        // u8 codes reach 255: a layer that fits s8 can overflow u8 (K = 27 × Cin = 2560: 27 · 2560 · 127² fits, · 255 · 127 does not).
        var wide = new ConvWeights(new float[27 * 2560], 1, Triple.All(3), 2560);
        _ = W8A8LayerWeights.Create(wide, 1f);
        e = Assert.Throws<ArgumentException>(() => W8A8LayerWeights.Create(wide, 1f, format: ActivationFormat.U8));
        Assert.Contains("products of up to 255 × 127 (u8 activations) sum to 2238451200", e.Message);
    }

    [Fact]
    public void Bad_scales_and_factors_are_refused()
    {
        var weights = new ConvWeights(new float[27 * 4], 1, Triple.All(3), 4);
        Assert.Contains("activation scale s_x must be positive", Assert.Throws<ArgumentException>(() => W8A8LayerWeights.Create(weights, 0f)).Message);
        Assert.Contains("SmoothQuant factors have 3 values but the layer has Cin=4", Assert.Throws<ArgumentException>(() => W8A8LayerWeights.Create(weights, 1f, [1, 1, 1])).Message);
        Assert.Contains("factor of input channel 2 is NaN", Assert.Throws<ArgumentException>(() => W8A8LayerWeights.Create(weights, 1f, [1, 1, float.NaN, 1])).Message);
    }

    private static (SparseTensor Input, KernelMap Map, ConvWeights Weights, RandomSparse Random) Layer(string kind, int cin, int cout)
    {
        var random = new RandomSparse();
        var input = random.Tensor(new SpatialShape(6, 7, 6), cin, batchSize: 2);
        // Channel 1 carries outliers (×30), as LiDAR intensity does next to coordinates.
        for (int i = 1; i < input.Features.Length; i += cin)
        {
            input.Features[i] *= 30;
        }
        var geometry = kind == "subm" ? ConvGeometry.Uniform(ConvKind.SubManifold, 3, 1, 1) : ConvGeometry.Uniform(ConvKind.Sparse, 3, 2, 1);
        var map = new CpuKernelMapBuilder().Build(input, geometry);
        var weights = new ConvWeights(random.Normal(cout * 27 * cin), cout, Triple.All(3), cin, random.Normal(cout));
        return (input, map, weights, random);
    }

    private static void AssertWithinEpilogueRounding(float[] output, Int8Reference.Result reference, string context)
    {
        for (int i = 0; i < output.Length; i++)
        {
            double bound = 1e-6 * reference.Magnitudes[i] + 1e-7;
            Assert.True(Math.Abs(output[i] - reference.Values[i]) <= bound, $"{context}: element {i} = {output[i]}, integer reference {reference.Values[i]}");
        }
    }
}
