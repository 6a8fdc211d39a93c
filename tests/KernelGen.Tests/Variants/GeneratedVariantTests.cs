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
/// dense double conv3d and the generic kernel, W8A8 variants against the exact integer reference.
/// </summary>
public abstract class GeneratedVariantTests
{
    protected abstract Accelerator? Accelerator { get; }

    public static TheoryData<string> Layers() => new(TestLayers.Select(layer => layer.Name));

    public static TheoryData<string> W8A8Layers() =>
        new(TestLayers.Where(layer => layer.Quantization == QuantMode.W8A8).Select(layer => layer.Name));

    // Touching the classes runs their registration; GeneratedLayers.Find then sees them.
    private static readonly LayerDescriptor[] TestLayers =
        [SubmOddChannels.Layer, DownConv.Layer, ExtraConvShape.Layer, DownPadding011.Layer, SubmDilated.Layer];

    [Theory]
    [MemberData(nameof(Layers))]
    public void Fp32_variants_match_the_dense_conv3d_and_the_generic_kernel(string layerName)
    {
        Assert.SkipWhen(Accelerator is null, "no CUDA device on this machine");
        var layer = GeneratedLayers.Find(layerName);
        var (input, map, weights, random) = Inputs(layer);
        var expected = DenseConv3dOracle.Forward(input, weights.Data, layer.OutChannels, layer.Geometry, weights.Bias, layer.Activation == Activation.Relu);
        var generic = new GenericImplicitGemm(Accelerator!).Run(input, map, weights, layer.Activation);
        var packed = new LayerWeights(weights);
        Assert.NotEmpty(layer.F32Variants);
        foreach (var variant in layer.F32Variants)
        {
            Assert.SkipUnless(variant.CanRun(Accelerator!, out var reason), $"{variant.Name}: {reason}");
            var output = Poison.Floats(map.OutputCount * layer.OutChannels);
            variant.Run(Accelerator!, new ConvCall { Map = map, Weights = packed, Input = input.Features, Output = output });
            string context = $"{layer.Name} {variant.Name} (seed {random.Seed})";
            OracleAssert.Matches(new SparseTensor(output, map.OutputCoordinates, layer.OutChannels, map.OutputShape, map.BatchSize), expected, context);
            var error = OutputComparison.Of(output, generic.Features.Select(v => (double)v).ToArray());
            Assert.True(error.RelativeL2Error <= 1e-5, $"{context}: relative L2 {error.RelativeL2Error} vs the generic kernel");
        }
    }

    [Theory]
    [MemberData(nameof(W8A8Layers))]
    public void W8A8_variants_equal_the_exact_integer_reference(string layerName)
    {
        Assert.SkipWhen(Accelerator is null, "no CUDA device on this machine");
        var layer = GeneratedLayers.Find(layerName);
        Assert.Equal(QuantMode.W8A8, layer.Quantization);
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

        Assert.NotEmpty(layer.W8A8Variants);
        foreach (var variant in layer.W8A8Variants)
        {
            Assert.SkipUnless(variant.CanRun(Accelerator!, out var reason), $"{variant.Name}: {reason}");
            Assert.Equal(layer.SmoothQuant, variant.SmoothQuant);
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
    }

    [Fact]
    public void Variant_table_lists_every_tile_in_both_shapes_with_visible_names()
    {
        Assert.Equal(
            ["F32_Tile16x4x4_GpuStyle", "F32_Tile16x4x4_BarrierFree", "F32_Tile32x16x8_GpuStyle", "F32_Tile32x16x8_BarrierFree",
             "W8A8_Tile16x4x4_Smooth_GpuStyle", "W8A8_Tile16x4x4_Smooth_BarrierFree", "W8A8_Tile32x16x8_Smooth_GpuStyle", "W8A8_Tile32x16x8_Smooth_BarrierFree"],
            SubmOddChannels.Layer.Variants.Where(v => v.Shape != KernelShape.CpuSimd).Select(v => v.Name));
        Assert.Equal(
            ["CpuF32_V512_Tile16x4", "CpuF32_V256_Tile16x4", "CpuF32_Portable_Tile16x4",
             "CpuW8A8_Vnni256_Tile16x4_Smooth", "CpuW8A8_Avx512BW_Tile16x4_Smooth", "CpuW8A8_Avx2_Tile16x4_Smooth", "CpuW8A8_Portable_Tile16x4_Smooth",
             "CpuF32_V512_Tile32x16", "CpuF32_V256_Tile32x16", "CpuF32_Portable_Tile32x16",
             "CpuW8A8_Vnni256_Tile32x16_Smooth", "CpuW8A8_Avx512BW_Tile32x16_Smooth", "CpuW8A8_Avx2_Tile32x16_Smooth", "CpuW8A8_Portable_Tile32x16_Smooth"],
            SubmOddChannels.Layer.Variants.Where(v => v.Shape == KernelShape.CpuSimd).Select(v => v.Name));
        var gpu = SubmOddChannels.Layer.Variants.First(v => v.Name == "F32_Tile32x16x8_GpuStyle");
        Assert.Equal((KernelShape.GpuStyle, 4 * (32 * 8 + 8 * 16)), (gpu.Shape, gpu.SharedMemoryBytes));
        Assert.Equal(new KernelGen.KernelMaps.Triple(3, 1, 1), ExtraConvShape.Layer.Geometry.Kernel);
        Assert.Equal(0.75, ExtraConvShape.Layer.Alpha);
        Assert.Contains(GeneratedLayers.All, l => l.Name == "KernelGen.Tests.Generated.DownConv");
        Assert.Throws<ArgumentException>(() => DownConv.PackWeights(new ConvWeights(new float[27 * 4], 1, Triple.All(3), 4)));
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
