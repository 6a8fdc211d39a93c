using ILGPU.Runtime;
using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Quantization;
using KernelGen.Tensors;
using KernelGen.Tests.Generated;
using KernelGen.Tests.Support;
using KernelGen.Variants;

namespace KernelGen.Tests.Variants;

/// <summary>
/// Every generated variant of the test layers on fresh random inputs with poisoned outputs: fp32 variants against the
/// dense double conv3d and the generic kernel, W8A8 variants (tensor cores included) against the exact integer
/// reference, fp16 variants against the dense double conv3d of the fp16-rounded operands.
/// </summary>
public abstract class GeneratedVariantTests
{
    protected abstract Accelerator? Accelerator { get; }

    // One case per (layer, variant), so a variant that cannot run on this accelerator skips alone, with its reason.
    public static TheoryData<string, string> F32Cases() =>
        Cases(layer => layer.Variants.OfType<F32Variant>().Select(v => v.Name));

    public static TheoryData<string, string> W8A8Cases() =>
        Cases(layer => layer.Variants.OfType<W8A8Variant>().Select(v => v.Name));

    // The generic fp16 kernel beside the generated ones: the reference fp16 path is checked the same way.
    public static TheoryData<string, string> F16Cases() =>
        Cases(layer => layer.HasF16 ? layer.Variants.OfType<F16Variant>().Select(v => v.Name).Append(GenericF16) : []);

    private const string GenericF16 = "generic fp16";

    private static TheoryData<string, string> Cases(Func<LayerDescriptor, IEnumerable<string>> variants)
    {
        var cases = new TheoryData<string, string>();
        foreach (var layer in TestLayers)
        {
            foreach (var variant in variants(layer))
            {
                cases.Add(layer.Name, variant);
            }
        }
        return cases;
    }

    private static IConvKernel Kernel(LayerDescriptor layer, string variantName) =>
        variantName == GenericF16 ? layer.GenericKernel(Precision.F16) : layer.Variants.Single(v => v.Name == variantName);

    private IConvKernel RunnableKernel(LayerDescriptor layer, string variantName)
    {
        Assert.SkipWhen(Accelerator is null, "no CUDA device on this machine");
        var kernel = Kernel(layer, variantName);
        Assert.SkipUnless(kernel.CanRun(Accelerator!, out var reason), $"{kernel.Name}: {reason}");
        return kernel;
    }

    // Touching the classes runs their registration; GeneratedLayers.Find then sees them.
    private static readonly LayerDescriptor[] TestLayers =
        [SubmOddChannels.Layer, DownConv.Layer, ExtraConvShape.Layer, DownPadding011.Layer, SubmDilated.Layer];

    [Fact]
    public void Every_test_layer_has_fp32_and_the_declared_int8_and_fp16_variants()
    {
        Assert.All(TestLayers, layer => Assert.NotEmpty(layer.Variants.OfType<F32Variant>()));
        Assert.All(TestLayers.Where(l => l.HasW8A8), layer => Assert.NotEmpty(layer.Variants.OfType<W8A8Variant>()));
        Assert.All(TestLayers.Where(l => l.HasF16), layer => Assert.Contains(layer.Variants.OfType<F16Variant>(), v => v.Shape == KernelShape.TensorCore));
    }

    [Theory]
    [MemberData(nameof(F32Cases))]
    public void Fp32_variants_match_the_dense_conv3d_and_the_generic_kernel(string layerName, string variantName)
    {
        var layer = GeneratedLayers.Find(layerName);
        var variant = RunnableKernel(layer, variantName);
        var (input, map, weights, random) = Inputs(layer);
        var expected = DenseConv3dOracle.Forward(input, weights.Data, layer.OutChannels, layer.Geometry, weights.Bias, layer.Activation == Activation.Relu);
        var generic = new GenericImplicitGemm(Accelerator!).Run(input, map, weights, layer.Activation);
        var output = Poison.Floats(map.OutputCount * layer.OutChannels);
        variant.Run(Accelerator!, new ConvCall { Map = map, Weights = new LayerWeights(weights), Input = input.Features, Output = output });
        string context = $"{layer.Name} {variant.Name} (seed {random.Seed})";
        OracleAssert.Matches(new SparseTensor(output, map.OutputCoordinates, layer.OutChannels, map.OutputShape, map.BatchSize), expected, context);
        var error = OutputComparison.Of(output, generic.Features.Select(v => (double)v).ToArray());
        Assert.True(error.RelativeL2Error <= 1e-5, $"{context}: relative L2 {error.RelativeL2Error} vs the generic kernel");
    }

    [Theory]
    [MemberData(nameof(W8A8Cases))]
    public void W8A8_variants_equal_the_exact_integer_reference(string layerName, string variantName)
    {
        var layer = GeneratedLayers.Find(layerName);
        var variant = (W8A8Variant)RunnableKernel(layer, variantName);
        Assert.True(layer.HasW8A8);
        Assert.Equal(layer.SmoothQuant, variant.SmoothQuant);
        var (input, map, weights, random) = Inputs(layer);
        // Outliers in a few channels, as real LiDAR features have, so clamping and smoothing both matter.
        for (int i = 0; i < input.Features.Length; i += 3 * input.Channels + 1)
        {
            input.Features[i] *= 20;
        }
        float activationScale = input.Features.Max(Math.Abs) / 127f * 0.8f; // some activations clamp at ±127
        float[]? smoothing = layer.SmoothQuant
            ? Enumerable.Range(0, layer.InChannels).Select(_ => (float)Math.Exp(random.Random.NextDouble() * 3 - 1.5)).ToArray()
            : null;
        var quantized = W8A8LayerWeights.Create(weights, activationScale, smoothing);
        var reference = Int8Reference.Conv(input, map, weights, activationScale, smoothing, layer.Activation == Activation.Relu);
        Assert.Equal(reference.QuantizedWeights, quantized.Quantized);
        Assert.Equal(reference.WeightScales, quantized.WeightScales);
        Assert.Equal(reference.Multipliers, quantized.ActivationMultipliers);

        var output = Poison.Floats(map.OutputCount * layer.OutChannels);
        variant.Run(Accelerator!, new ConvCall { Map = map, Weights = new LayerWeights(weights).Quantized(quantized), Input = input.Features, Output = output });
        for (int i = 0; i < output.Length; i++)
        {
            // Within fp32 rounding of the epilogue (int → float, one multiply by an fp32 scale, one add).
            double bound = 1e-6 * reference.Magnitudes[i] + 1e-7;
            Assert.True(Math.Abs(output[i] - reference.Values[i]) <= bound,
                $"{layer.Name} {variant.Name} (seed {random.Seed}): element {i} = {output[i]}, integer reference {reference.Values[i]}");
        }
    }

    [Theory]
    [MemberData(nameof(F16Cases))]
    public void Fp16_variants_match_the_dense_conv3d_of_the_fp16_rounded_operands(string layerName, string variantName)
    {
        var layer = GeneratedLayers.Find(layerName);
        var kernel = RunnableKernel(layer, variantName);
        Assert.Equal(Precision.F16, kernel.Capabilities.Precision);
        var (input, map, weights, random) = Inputs(layer);
        // The reference: fp16 operands (System.Half rounds to nearest even), products and sums in double.
        static float[] Rounded(float[] values) => values.Select(v => (float)(Half)v).ToArray();
        var roundedInput = new SparseTensor(Rounded(input.Features), input.Coordinates, input.Channels, input.SpatialShape, input.BatchSize);
        var expected = DenseConv3dOracle.Forward(roundedInput, Rounded(weights.Data), layer.OutChannels, layer.Geometry, weights.Bias, layer.Activation == Activation.Relu);
        var fp32 = DenseConv3dOracle.Forward(input, weights.Data, layer.OutChannels, layer.Geometry, weights.Bias, layer.Activation == Activation.Relu);
        var output = Poison.Floats(map.OutputCount * layer.OutChannels);
        kernel.Run(Accelerator!, new ConvCall { Map = map, Weights = new LayerWeights(weights), Input = input.Features, Output = output });
        string context = $"{layer.Name} {kernel.Name} (seed {random.Seed})";
        var actual = new SparseTensor(output, map.OutputCoordinates, layer.OutChannels, map.OutputShape, map.BatchSize);
        OracleAssert.Matches(actual, expected, context);
        // And fp16's own rounding error against fp32 operands: present, and of fp16's size.
        double error = RelativeL2(actual, fp32);
        Assert.True(error > 0 && error < 5e-3, $"{context}: relative L2 {error} against the fp32 operands");
    }

    // The fp32 and fp16 kernels that keep tiles in shared memory (W8A8's int8 weights cannot hold a NaN).
    public static TheoryData<string> SharedMemoryVariants() => new(SubmOddChannels.Layer.Variants
        .Where(v => v.Shape is KernelShape.GpuStyle or KernelShape.TensorCore && v.Capabilities.Precision != Precision.W8A8).Select(v => v.Name));

    [Theory]
    [MemberData(nameof(SharedMemoryVariants))]
    public void Shared_memory_kernels_skip_the_offsets_no_row_of_a_tile_has(string variantName)
    {
        var layer = SubmOddChannels.Layer;
        var kernel = RunnableKernel(layer, variantName);
        var random = new RandomSparse();
        // Six sites on one x row: each tile's rows have neighbours at 3 of the 27 offsets, (0, 0, -1..1).
        var coordinates = Enumerable.Range(0, 6).SelectMany(x => new[] { 0, 3, 2, x }).ToArray();
        var input = new SparseTensor(random.Normal(6 * layer.InChannels), coordinates, layer.InChannels, new SpatialShape(7, 6, 6));
        var map = new CpuKernelMapBuilder().Build(input, layer.Geometry);
        var present = Enumerable.Range(0, map.KernelVolume)
            .Where(k => Enumerable.Range(0, map.OutputCount).Any(row => map.OutIn[row * map.KernelVolume + k] >= 0)).ToHashSet();
        Assert.Equal(3, present.Count);
        var weights = new ConvWeights(
            random.Normal(layer.OutChannels * map.KernelVolume * layer.InChannels), layer.OutChannels, layer.Geometry.Kernel, layer.InChannels,
            random.Normal(layer.OutChannels));
        var expected = DenseConv3dOracle.Forward(input, weights.Data, layer.OutChannels, layer.Geometry, weights.Bias, relu: true);
        var expectedF16 = DenseConv3dOracle.Forward(
            new SparseTensor(input.Features.Select(v => (float)(Half)v).ToArray(), coordinates, layer.InChannels, input.SpatialShape),
            weights.Data.Select(v => (float)(Half)v).ToArray(), layer.OutChannels, layer.Geometry, weights.Bias, relu: true);

        // NaN in the packed weights of every absent offset: a kernel that multiplies them by its zero-filled gather
        // (0 · NaN = NaN) instead of skipping the offset poisons its whole output tile. ConvWeights refuses NaN, so the
        // packings are poisoned after they are made.
        var poisoned = new LayerWeights(weights);
        int halfNaN = BitConverter.HalfToUInt16Bits(Half.NaN);
        for (int k = 0; k < map.KernelVolume; k++)
        {
            if (present.Contains(k))
            {
                continue;
            }
            Array.Fill(poisoned.Packed.Packed, float.NaN, k * layer.InChannels * layer.OutChannels, layer.InChannels * layer.OutChannels);
            var pairs = poisoned.Half.InChannelPairs;
            Array.Fill(poisoned.Half.Packed, halfNaN | (halfNaN << 16), k * pairs * layer.OutChannels, pairs * layer.OutChannels);
        }

        var output = Poison.Floats(map.OutputCount * layer.OutChannels);
        kernel.Run(Accelerator!, new ConvCall { Map = map, Weights = poisoned, Input = input.Features, Output = output });
        string context = $"{kernel.Name} (seed {random.Seed})";
        Assert.All(output, v => Assert.True(float.IsFinite(v), $"{context}: a non-finite output, so an absent offset was multiplied"));
        // ReLU can turn a NaN into 0, so the oracle comparison is what proves the absent offsets were skipped.
        OracleAssert.Matches(new SparseTensor(output, map.OutputCoordinates, layer.OutChannels, map.OutputShape, map.BatchSize),
            kernel.Capabilities.Precision == Precision.F16 ? expectedF16 : expected, context);
    }

    private static double RelativeL2(SparseTensor actual, DenseConv3dOracle.Result expected)
    {
        double diff = 0, reference = 0;
        for (int row = 0; row < actual.Count; row++)
        {
            int oracleRow = expected.Rows[(actual.Coordinates[row * 4], actual.Coordinates[row * 4 + 1], actual.Coordinates[row * 4 + 2], actual.Coordinates[row * 4 + 3])];
            for (int n = 0; n < actual.Channels; n++)
            {
                double e = expected.Values[oracleRow * expected.Channels + n], a = actual.Features[row * actual.Channels + n];
                diff += (a - e) * (a - e);
                reference += e * e;
            }
        }
        return Math.Sqrt(diff / reference);
    }

    [Fact]
    public void Variant_table_lists_every_tile_in_both_shapes_with_visible_names()
    {
        Assert.Equal(
            ["F32_Tile16x4x4_GpuStyle", "F32_Tile16x4x4_BarrierFree", "F32_Tile32x16x8_GpuStyle", "F32_Tile32x16x8_BarrierFree",
             "W8A8_Tile16x4x4_Smooth_GpuStyle", "W8A8_Tile16x4x4_Smooth_BarrierFree", "W8A8_Tile32x16x8_Smooth_GpuStyle", "W8A8_Tile32x16x8_Smooth_BarrierFree",
             "W8A8_Tile32x16x32_Warp16x16_Smooth_TensorCore", "W8A8_Tile32x16x32_Warp16x16_Smooth_Async2_TensorCore",
             "F16_Tile32x16x16_Warp16x16_TensorCore", "F16_Tile32x16x16_Warp16x16_Async2_TensorCore"],
            SubmOddChannels.Layer.Variants.Where(v => v.Shape != KernelShape.CpuSimd).Select(v => v.Name));
        // BlockN 4 is narrower than an mma tile: no tensor-core variant for it; 32 × 16 gets two warps of 16 × 16, and
        // the tile listed again with AsyncStages = 2 adds the pipelined kernels (its CUDA-core kernels are not repeated).
        var tensorCore = SubmOddChannels.Layer.Variants.First(v => v.Name == "F16_Tile32x16x16_Warp16x16_TensorCore");
        Assert.Equal((KernelShape.TensorCore, 64, 2 * (32 + 16) * 12 * 4 + 4 * 27, null), (tensorCore.Shape, tensorCore.GroupSize, tensorCore.SharedMemoryBytes, tensorCore.Pipeline));
        var pipelined = DownConv.Layer.Variants.First(v => v.Name == "F16_Tile32x16x16_Warp16x16_Async3_TensorCore");
        Assert.Equal((KernelShape.TensorCore, 3 * (32 + 16) * 12 * 4 + 4 * 27, new AsyncPipeline(3, 3 * (32 + 16) * 12 * 4)),
            (pipelined.Shape, pipelined.SharedMemoryBytes, pipelined.Pipeline));
        Assert.Equal([Precision.F32, Precision.W8A8, Precision.F16], SubmOddChannels.Layer.Precisions);
        Assert.Equal([Precision.F32, Precision.F16], DownPadding011.Layer.Precisions);
        Assert.Equal(
            ["CpuF32_V512_Tile16x4", "CpuF32_V256_Tile16x4", "CpuF32_Portable_Tile16x4",
             "CpuW8A8_Vnni256_Tile16x4_Smooth", "CpuW8A8_Avx512BW_Tile16x4_Smooth", "CpuW8A8_Avx2_Tile16x4_Smooth", "CpuW8A8_Portable_Tile16x4_Smooth",
             "CpuF32_V512_Tile32x16", "CpuF32_V256_Tile32x16", "CpuF32_Portable_Tile32x16",
             "CpuW8A8_Vnni256_Tile32x16_Smooth", "CpuW8A8_Avx512BW_Tile32x16_Smooth", "CpuW8A8_Avx2_Tile32x16_Smooth", "CpuW8A8_Portable_Tile32x16_Smooth"],
            SubmOddChannels.Layer.Variants.Where(v => v.Shape == KernelShape.CpuSimd).Select(v => v.Name));
        var gpu = SubmOddChannels.Layer.Variants.First(v => v.Name == "F32_Tile32x16x8_GpuStyle");
        Assert.Equal((KernelShape.GpuStyle, 4 * (32 * 8 + 8 * 16) + 4 * 27), (gpu.Shape, gpu.SharedMemoryBytes));
        Assert.Equal(new KernelGen.KernelMaps.Triple(3, 1, 1), ExtraConvShape.Layer.Geometry.Kernel);
        Assert.Equal(0.75, ExtraConvShape.Layer.Alpha);
        Assert.Contains(GeneratedLayers.All, l => l.Name == "KernelGen.Tests.Generated.DownConv");
    }

    private static (SparseTensor Input, KernelMap Map, ConvWeights Weights, RandomSparse Random) Inputs(LayerDescriptor layer)
    {
        var random = new RandomSparse();
        // About 150 active sites in two batch items: small, because GPU-style kernels with barriers crawl on the CPU.
        var input = random.Tensor(new SpatialShape(7, 6, 6), layer.InChannels, batchSize: 2, density: 0.3);
        var map = new CpuKernelMapBuilder().Build(input, layer.Geometry);
        var weights = new ConvWeights(
            random.Normal(layer.OutChannels * layer.Geometry.KernelVolume * layer.InChannels), layer.OutChannels,
            layer.Geometry.Kernel, layer.InChannels, layer.HasBias ? random.Normal(layer.OutChannels) : null);
        return (input, map, weights, random);
    }
}

[Collection(CpuAcceleratorCollection.Name)]
public sealed class CpuGeneratedVariantTests(CpuAcceleratorFixture fixture) : GeneratedVariantTests
{
    protected override Accelerator? Accelerator => fixture.Session.Accelerator;
}

[Collection(CudaAcceleratorCollection.Name)]
public sealed class CudaGeneratedVariantTests(CudaAcceleratorFixture fixture) : GeneratedVariantTests
{
    protected override Accelerator? Accelerator => fixture.Session?.Accelerator;
}
