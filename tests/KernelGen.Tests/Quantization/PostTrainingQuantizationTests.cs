using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Models;
using KernelGen.Networks;
using KernelGen.Quantization;
using KernelGen.Tensors;
using KernelGen.Tests.Support;
using KernelGen.Tuning;
using KernelGen.Variants;

namespace KernelGen.Tests.Quantization;

/// <summary>
/// What calibration adds beyond SmoothQuant, each against an independent reference: Hessian-aware rounding (GPTQ) lowers
/// a layer's output error on its calibration input and runs exactly as its integers say; bias correction lands in the
/// epilogue; the pre-activation the bias correction is measured on is exact in fp32 and int8 alike.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class PostTrainingQuantizationTests(CpuAcceleratorFixture fixture)
{
    private readonly GenericW8A8ImplicitGemm _gemm = new(fixture.Session.Accelerator);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gptq_rounding_lowers_the_output_error_on_its_calibration_input_and_the_kernel_runs_its_integers(bool smooth)
    {
        var random = new RandomSparse();
        const int cin = 12, cout = 8;
        // 27 · 12 columns of H need 4 · 324 rows: a 12³ grid at 80 % density.
        var input = random.Tensor(new SpatialShape(12, 12, 12), cin, density: 0.8);
        for (int i = 0; i < input.Features.Length; i++)
        {
            // Post-ReLU-like inputs (all ≥ 0, where rounding errors do not average out), channel 1 an outlier.
            input.Features[i] = Math.Abs(input.Features[i]) * (i % cin == 1 ? 20 : 1);
        }
        var geometry = ConvGeometry.Uniform(ConvKind.SubManifold, 3, 1, 1);
        var map = new CpuKernelMapBuilder().Build(input, geometry);
        var weights = new ConvWeights(random.Normal(cout * 27 * cin), cout, Triple.All(3), cin, random.Normal(cout));
        var maxima = LayerQuantizer.ChannelMaxima(input.Features, cin);
        float[]? smoothing = smooth ? SmoothQuant.Factors(maxima, weights, 0.5) : null;
        float scale = LayerQuantizer.ScaleOf(maxima, smoothing);

        var rounded = GptqRounding.Round(weights, smoothing, [(map, input.Features)])!;
        Assert.NotNull(rounded);
        var nearest = Int8Reference.Conv(input, map, weights, scale, smoothing, relu: false);
        var gptq = Int8Reference.Conv(input, map, weights, scale, smoothing, relu: false, rounded);
        Assert.All(rounded, q => Assert.InRange(q, -127, 127));
        Assert.NotEqual(nearest.QuantizedWeights, rounded);
        var oracle = DenseConv3dOracle.Forward(input, weights.Data, cout, geometry, weights.Bias, relu: false);
        double Error(Int8Reference.Result result)
        {
            double error = 0, reference = 0;
            for (int row = 0; row < map.OutputCount; row++)
            {
                for (int n = 0; n < cout; n++)
                {
                    double v = oracle.ValueAt(map, row, n), d = result.Values[row * cout + n] - v;
                    error += d * d;
                    reference += v * v;
                }
            }
            return Math.Sqrt(error / reference);
        }

        // GPTQ minimizes the weights' part of the output error, ‖(W − Ŵ) X‖ on the calibration input: measured with the
        // dequantized weights on the fp32 input, against the dense conv3d in double.
        var scales = W8A8LayerWeights.GridScales(weights, smoothing);
        double WeightError(sbyte[] q)
        {
            var dequantized = new float[q.Length];
            for (int j = 0; j < q.Length; j++)
            {
                dequantized[j] = (float)(q[j] * (double)scales[j / (27 * cin)] / (smoothing?[j % cin] ?? 1.0));
            }
            var exact = DenseConv3dOracle.Forward(input, weights.Data, cout, geometry, weights.Bias, relu: false);
            var approximate = DenseConv3dOracle.Forward(input, dequantized, cout, geometry, weights.Bias, relu: false);
            double error = 0, reference = 0;
            for (int row = 0; row < map.OutputCount; row++)
            {
                for (int n = 0; n < cout; n++)
                {
                    double v = exact.ValueAt(map, row, n), d = approximate.ValueAt(map, row, n) - v;
                    error += d * d;
                    reference += v * v;
                }
            }
            return Math.Sqrt(error / reference);
        }
        double nearestError = WeightError(nearest.QuantizedWeights), gptqError = WeightError(rounded);
        Assert.True(gptqError < 0.8 * nearestError, $"GPTQ weight rel. L2 {gptqError:P3} vs round-to-nearest {nearestError:P3} (seed {random.Seed})");
        // With the activations quantized too, the whole layer's error still drops.
        Assert.True(Error(gptq) < Error(nearest), $"layer rel. L2 {Error(gptq):P3} vs {Error(nearest):P3} (seed {random.Seed})");

        // The kernel runs exactly the rounded integers, with the bias correction in its epilogue.
        var correction = random.Normal(cout, 0.1);
        var quantized = W8A8LayerWeights.Create(weights, scale, smoothing, correction, rounded);
        Assert.Equal(rounded, quantized.Quantized);
        Assert.Null(GptqRounding.Round(weights, smoothing, [(map.SelectRows(map.SampleRows(4 * 27 * cin - 1)), input.Features)]));
        Assert.True(quantized.HessianRounded);
        Assert.Equal(Enumerable.Range(0, cout).Select(n => weights.Bias![n] - correction[n]), quantized.Bias);
        var reference = Int8Reference.Conv(input, map, weights, scale, smoothing, relu: true, rounded, correction);
        var output = Poison.Floats(map.OutputCount * cout);
        _gemm.Run(input, map, quantized, Activation.Relu, output);
        for (int i = 0; i < output.Length; i++)
        {
            Assert.True(Math.Abs(output[i] - reference.Values[i]) <= 1e-6 * reference.Magnitudes[i] + 1e-7,
                $"element {i} = {output[i]}, integer reference {reference.Values[i]} (seed {random.Seed})");
        }
    }

    [Fact]
    public void Rounded_weights_and_corrections_of_the_wrong_shape_are_refused()
    {
        var weights = new ConvWeights(new float[2 * 27 * 4], 2, Triple.All(3), 4);
        Assert.Contains("5 rounded int8 weights for [Cout=2, K=27, Cin=4]", Assert.Throws<ArgumentException>(() => W8A8LayerWeights.Create(weights, 1f, rounded: new sbyte[5])).Message);
        Assert.Contains("is -128, outside ±127", Assert.Throws<ArgumentException>(() => W8A8LayerWeights.Create(weights, 1f, rounded: Enumerable.Repeat(sbyte.MinValue, 216).ToArray())).Message);
        Assert.Contains("bias correction has 3 values for Cout=2", Assert.Throws<ArgumentException>(() => W8A8LayerWeights.Create(weights, 1f, biasCorrection: [0, 0, 0])).Message);
    }

    [Fact]
    public void The_pre_activation_behind_a_baked_in_relu_is_exact_in_fp32_and_int8()
    {
        // SECOND's first conv (SubM, ReLU) on a random scan, through the default kernels the calibrator uses.
        var network = BuiltInModels.Load("second");
        using var runner = new NetworkRunner(fixture.Session.Accelerator);
        var voxels = new RandomSparse().Tensor(new SpatialShape(41, 40, 40), network.Layers[0].InChannels, density: 0.02);
        var plan = runner.Plan(network, voxels);
        var layer = network.Layers[0];
        Assert.Equal(Activation.Relu, layer.Activation);
        var conv = NetworkWeights.Synthetic(network)[network.Network.Nodes[0].Name];
        var map = plan.Nodes[0].Map;
        LayerWeights positive = new(conv), negative = new(conv.Negated());
        var accelerator = fixture.Session.Accelerator;

        var fp32 = PreActivation.Of(DefaultVariantChoice.Pick(layer, Precision.F32, accelerator), accelerator, map, layer.Activation, positive, negative, plan.Input.Features);
        var oracle = DenseConv3dOracle.Forward(plan.Input, conv.Data, layer.OutChannels, layer.Geometry, conv.Bias, relu: false);
        Assert.Contains(fp32, v => v < 0);
        for (int row = 0; row < map.OutputCount; row++)
        {
            for (int n = 0; n < layer.OutChannels; n++)
            {
                double expected = oracle.ValueAt(map, row, n);
                Assert.True(Math.Abs(fp32[row * layer.OutChannels + n] - expected) <= 1e-5 * (1 + Math.Abs(expected)), $"fp32 row {row} channel {n}");
            }
        }

        var quantization = LayerQuantization.FromInput(conv, plan.Input.Features, smoothQuant: layer.SmoothQuant);
        var int8 = PreActivation.Of(DefaultVariantChoice.Pick(layer, Precision.W8A8, accelerator), accelerator, map, layer.Activation,
            positive.Quantized(quantization), negative.Quantized(quantization), plan.Input.Features);
        var reference = Int8Reference.Conv(plan.Input, map, conv, quantization.ActivationScale, quantization.Smoothing, relu: false);
        for (int i = 0; i < int8.Length; i++)
        {
            Assert.True(Math.Abs(int8[i] - reference.Values[i]) <= 2e-6 * reference.Magnitudes[i] + 1e-7, $"int8 element {i} = {int8[i]}, integer reference {reference.Values[i]}");
        }
    }
}
