using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Quantization;
using KernelGen.Tensors;
using KernelGen.Tests.Support;
using KernelGen.__Internals;

namespace KernelGen.Tests.Quantization;

public sealed class QuantizationMathTests
{
    [Theory]
    [InlineData(ConvKind.SubManifold)]
    [InlineData(ConvKind.Sparse)]
    public void Im2col_column_maxima_equal_the_per_channel_maxima_of_the_active_features(ConvKind kind)
    {
        var random = new RandomSparse();
        var input = random.Tensor(new SpatialShape(6, 6, 6), 5, batchSize: 2, density: 0.25);
        var geometry = kind == ConvKind.SubManifold ? ConvGeometry.Uniform(kind, 3, 1, 1) : ConvGeometry.Uniform(kind, 3, 2, 1);
        var map = new CpuKernelMapBuilder().Build(input, geometry);
        // The im2col matrix [M, K·C]: each output row lists the gathered input row per offset, zeros where absent.
        var im2col = new float[map.OutputCount, map.KernelVolume * 5];
        for (int row = 0; row < map.OutputCount; row++)
        {
            for (int k = 0; k < map.KernelVolume; k++)
            {
                int source = map.OutIn[row * map.KernelVolume + k];
                for (int c = 0; c < 5; c++)
                {
                    im2col[row, k * 5 + c] = source >= 0 ? input.Features[source * 5 + c] : 0f;
                }
            }
        }
        var columnMaxima = new float[5];
        for (int row = 0; row < map.OutputCount; row++)
        {
            for (int column = 0; column < map.KernelVolume * 5; column++)
            {
                columnMaxima[column % 5] = Math.Max(columnMaxima[column % 5], Math.Abs(im2col[row, column]));
            }
        }
        Assert.Equal(columnMaxima, LayerQuantizer.ChannelMaxima(input.Features, 5));
    }

    [Fact]
    public void SmoothQuant_without_quantization_is_the_plain_conv()
    {
        var random = new RandomSparse();
        var input = random.Tensor(new SpatialShape(6, 6, 6), 6, density: 0.3);
        for (int i = 2; i < input.Features.Length; i += 6)
        {
            input.Features[i] *= 50;
        }
        var geometry = ConvGeometry.Uniform(ConvKind.Sparse, 3, 2, 1);
        var map = new CpuKernelMapBuilder().Build(input, geometry);
        var weights = new ConvWeights(random.Normal(8 * 27 * 6), 8, Triple.All(3), 6, random.Normal(8));
        var factors = SmoothQuant.Factors(LayerQuantizer.ChannelMaxima(input.Features, 6), weights, 0.5);
        var smoothedInput = input.WithFeatures(SmoothQuant.SmoothActivations(input.Features, factors), 6);
        var smoothedWeights = SmoothQuant.SmoothWeights(weights, factors);

        var plain = DenseConv3dOracle.Forward(input, weights.Data, 8, geometry, weights.Bias, relu: false);
        var smoothed = ReferenceSparseConvolution.Run(smoothedInput, map, smoothedWeights);
        // X/s and W·s are each rounded to fp32: the product differs from X·W by a few ulps of each term.
        for (int row = 0; row < map.OutputCount; row++)
        {
            var site = (map.OutputCoordinates[row * 4], map.OutputCoordinates[row * 4 + 1], map.OutputCoordinates[row * 4 + 2], map.OutputCoordinates[row * 4 + 3]);
            int oracleRow = plain.Rows[site];
            for (int n = 0; n < 8; n++)
            {
                double e = plain.Values[oracleRow * 8 + n], a = smoothed[row * 8 + n];
                Assert.True(Math.Abs(a - e) <= 3e-7 * plain.AbsSums[oracleRow * 8 + n] + 1e-9, $"row {row} channel {n}: {a} vs {e} (seed {random.Seed})");
            }
        }
    }

    [Fact]
    public void SmoothQuant_factors_follow_the_formula_with_clamps()
    {
        var weights = new ConvWeights([2f, -0.5f, 0f, 4f, 1f, 0f], 2, Triple.All(1), 3);
        // max|W_j| over output channels: j0 = 4, j1 = 1, j2 = 0 → clamped to 1e-5.
        var factors = SmoothQuant.Factors([9f, 0f, 16f], weights, 0.5);
        Assert.Equal(Math.Sqrt(9) / Math.Sqrt(4), factors[0], 6);
        Assert.Equal(Math.Sqrt(1e-5) / Math.Sqrt(1), factors[1], 9);
        Assert.Equal(Math.Sqrt(16) / Math.Sqrt(1e-5), factors[2], 1);
        Assert.Equal(Math.Pow(9, 0.25) / Math.Pow(4, 0.75), SmoothQuant.Factors([9f, 1f, 1f], weights, 0.25)[0], 6);
        Assert.Throws<ArgumentOutOfRangeException>(() => SmoothQuant.Factors([1f, 1f, 1f], weights, 1.5));
    }

    [Fact]
    public void Batchnorm_folding_equals_conv_then_batchnorm()
    {
        var random = new RandomSparse();
        var input = random.Tensor(new SpatialShape(5, 6, 5), 4, density: 0.4);
        var map = new CpuKernelMapBuilder().Build(input, ConvGeometry.Uniform(ConvKind.SubManifold, 3, 1, 1));
        var conv = new ConvWeights(random.Normal(6 * 27 * 4), 6, Triple.All(3), 4, random.Normal(6));
        float[] gamma = random.Normal(6), beta = random.Normal(6), mean = random.Normal(6);
        var variance = random.Normal(6).Select(v => v * v + 0.1f).ToArray();
        var folded = BatchNormFolding.Fold(conv, gamma, beta, mean, variance);

        var convOut = ReferenceSparseConvolution.Run(input, map, conv);
        var foldedOut = ReferenceSparseConvolution.Run(input, map, folded);
        for (int i = 0; i < convOut.Length; i++)
        {
            int n = i % 6;
            double bn = (convOut[i] - mean[n]) / Math.Sqrt(variance[n] + 1e-3) * gamma[n] + beta[n];
            Assert.True(Math.Abs(foldedOut[i] - bn) <= 1e-5 * (1 + Math.Abs(bn)), $"element {i}: folded {foldedOut[i]} vs conv+BN {bn} (seed {random.Seed})");
        }
        Assert.Contains("running variance has 5 values", Assert.Throws<ArgumentException>(() => BatchNormFolding.Fold(conv, gamma, beta, mean, variance[..5])).Message);
    }

    [Fact]
    public void Error_metrics_on_known_values()
    {
        var metrics = ErrorMetrics.Compare([1f, 2f, 2f], [1.0, 2.0, 4.0]);
        Assert.Equal(2.0 / 3, metrics.L1, 12);
        Assert.Equal(2 / Math.Sqrt(21), metrics.RelativeL2, 12);
        Assert.Equal((1 + 4 + 8) / (3 * Math.Sqrt(21)), metrics.Cosine, 12);
        Assert.Equal(10 * Math.Log10(21 / 4.0), metrics.SqnrDb, 12);
        Assert.Equal(2, metrics.MaxAbsolute);
        Assert.True(double.IsPositiveInfinity(ErrorMetrics.Compare([1f], [1.0]).SqnrDb));
    }

    [Theory]
    [InlineData(ActivationFormat.S8)]
    [InlineData(ActivationFormat.U8)]
    public void The_cpu_operands_carry_the_codes_of_the_format(ActivationFormat format)
    {
        // 70 channels (past two 32-byte and eight 8-float vectors, so the scalar tails run too), every code of the format
        // and values beyond it (clamped), halfway points (to even), NaN (→ 0).
        var codes = ActivationFormats.Of(format);
        var values = Enumerable.Range(0, 70).Select(i => codes.Min - 3 + i * (codes.Max - codes.Min + 6) / 69f).ToArray();
        values[5] = codes.Min + 2.5f;
        values[6] = float.NaN;
        values[7] = 1e9f;
        var expected = values.Select(v => float.IsNaN(v) ? 0 : (int)Math.Clamp(Math.Round(Math.Clamp((double)v, codes.Min - 1, codes.Max + 1), MidpointRounding.ToEven), codes.Min, codes.Max)).ToArray();
        foreach (int channels in new[] { 70, 64 })
        {
            var row = values[..channels];
            var bytes = Int8Prologue.Quantize(row, Enumerable.Repeat(1f, channels).ToArray(), (channels + 3) / 4, format);
            Assert.Equal(expected[..channels], bytes[..channels].Select(b => b - codes.OperandZero));
            Assert.All(bytes[channels..], b => Assert.Equal(codes.OperandZero, b)); // padding: code 0
            var pairs = Int8Prologue.WidenToPairs(bytes, codes.OperandZero);
            Assert.Equal(expected[..channels], Enumerable.Range(0, channels).Select(i => (int)(short)(pairs[i / 2] >> (16 * (i % 2)))));
            // A previous layer's 8-bit output (the codes' low bytes) becomes the same operand bytes.
            var chained = Int8Prologue.FromInt8(expected[..channels].Select(q => unchecked((sbyte)q)).ToArray(), channels, (channels + 3) / 4, format);
            Assert.Equal(bytes, chained);
        }
    }

    [Fact]
    public void Activation_formats_are_a_table_the_kernels_and_the_network_read()
    {
        Assert.Equal(Enum.GetValues<ActivationFormat>(), ActivationFormats.All.Select(f => f.Format));
        Assert.All(ActivationFormats.All, f => Assert.True(typeof(KernelGen.__Internals.IActivationCode).IsAssignableFrom(f.Code)));
        Assert.Equal((-127, 127, 128), (ActivationFormats.Of(ActivationFormat.S8).Min, ActivationFormats.Of(ActivationFormat.S8).Max, ActivationFormats.Of(ActivationFormat.S8).OperandZero));
        Assert.Equal((0, 255, 0), (ActivationFormats.Of(ActivationFormat.U8).Min, ActivationFormats.Of(ActivationFormat.U8).Max, ActivationFormats.Of(ActivationFormat.U8).OperandZero));
        Assert.Equal(ActivationFormat.U8, ActivationFormats.For(nonNegativeInput: true));
        Assert.Equal(ActivationFormat.S8, ActivationFormats.For(nonNegativeInput: false));
        Assert.Equal(ActivationFormat.S8, ActivationFormats.For(nonNegativeInput: true, unsigned: false));
        // u8 has 255 steps where s8 has 127 on the same range: s_x = max / 255 against max / 127.
        Assert.Equal(255f / 127, LayerQuantizer.ScaleOf([255f], null, ActivationFormat.S8), 6);
        Assert.Equal(1f, LayerQuantizer.ScaleOf([255f], null, ActivationFormat.U8), 6);
        Assert.Equal(ActivationFormat.U8, ActivationFormats.Parse("u8"));
        Assert.Contains("valid: s8, u8", Assert.Throws<ArgumentException>(() => ActivationFormats.Parse("u4")).Message);
    }
}
