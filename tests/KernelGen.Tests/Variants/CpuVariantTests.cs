using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Quantization;
using KernelGen.Tensors;
using KernelGen.Tests.Generated;
using KernelGen.Tests.Support;
using KernelGen.Variants;
using CP = KernelGen.Models.CenterPoint;

namespace KernelGen.Tests.Variants;

/// <summary>
/// Every generated CPU SIMD variant, on every CenterPoint layer shape and the odd shapes of the core tests: fp32 against
/// the dense double conv3d (relative error ≤ 1e-5), W8A8 — s8 activations on a signed input, u8 on a non-negative one —
/// with int32 sums equal to the exact integer reference bit for bit and outputs within the epilogue's fp32 rounding; then
/// the same with the SIMD paths forced off, and each instruction-set path alone.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class CpuVariantTests(CpuAcceleratorFixture fixture)
{
    private static readonly LayerDescriptor[] Layers =
    [
        // Every conv shape of CenterPoint's backbone, as the sample's annotated classes.
        CP.ConvInput.Layer, CP.Subm16.Layer, CP.Down16To32.Layer, CP.Subm32.Layer, CP.Down32To64.Layer, CP.Subm64.Layer,
        CP.Down64To128.Layer, CP.Subm128.Layer, CP.ExtraConv.Layer,
        SubmOddChannels.Layer, DownConv.Layer, ExtraConvShape.Layer, DownPadding011.Layer, SubmDilated.Layer,
    ];

    public static TheoryData<string> LayerNames()
    {
        var data = new TheoryData<string>();
        foreach (var layer in Layers)
        {
            data.Add(layer.Name);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(LayerNames))]
    public void Every_cpu_variant_matches_its_reference(string layerName) => CheckLayer(GeneratedLayers.Find(layerName));

    [Fact]
    public void Portable_fallback_runs_when_simd_is_forced_off()
    {
        using (CpuFeatures.Restrict())
        {
            foreach (var layer in new[] { CP.Subm32.Layer, SubmOddChannels.Layer, CP.ExtraConv.Layer })
            {
                var simd = layer.Variants.Where(v => v.Shape == KernelShape.CpuSimd && !v.Name.Contains("Portable")).ToList();
                Assert.NotEmpty(simd);
                foreach (var variant in simd)
                {
                    Assert.False(variant.CanRun(fixture.Session.Accelerator, out var reason));
                    Assert.NotNull(reason);
                    Assert.True(reason.StartsWith("this CPU lacks", StringComparison.Ordinal) || reason.Contains("excluded by the instruction-set restriction"), reason);
                }
                CheckLayer(layer);
            }
        }
    }

    public static TheoryData<CpuInstructionSet> InstructionSets() => new(Enum.GetValues<CpuInstructionSet>());

    [Theory]
    [MemberData(nameof(InstructionSets))]
    public void Each_instruction_set_path_forced_alone_matches_the_references(CpuInstructionSet set)
    {
        Assert.SkipUnless(CpuFeatures.HardwareSupports(set), $"this CPU lacks {set}: its path cannot run here");
        using (CpuFeatures.Restrict(set))
        {
            Assert.Equal(set == CpuInstructionSet.Portable ? [CpuInstructionSet.Portable] : [CpuInstructionSet.Portable, set], CpuFeatures.Available);
            foreach (var layer in new[] { CP.Subm16.Layer, SubmOddChannels.Layer, CP.Down32To64.Layer })
            {
                var runnable = layer.Variants.OfType<CpuSimdVariant>().Where(v => v.CanRun(fixture.Session.Accelerator, out _)).ToList();
                Assert.All(runnable, v => Assert.Contains(v.InstructionSet, new[] { CpuInstructionSet.Portable, set }));
                CheckLayer(layer);
            }
        }
    }

    [Fact]
    public void Instruction_set_allow_list_parses_names_and_rejects_unknown_ones()
    {
        Assert.Equal(new HashSet<CpuInstructionSet> { CpuInstructionSet.Vector256Fma, CpuInstructionSet.AvxVnni256 }, CpuFeatures.Parse(" Vector256FMA, avxvnni256 ,"));
        var e = Assert.Throws<ArgumentException>(() => CpuFeatures.Parse("vector256fma,sse9"));
        Assert.Contains("unknown instruction set 'sse9'", e.Message);
        Assert.Contains("vector512fma", e.Message);
    }

    [Fact]
    public void Cpu_variants_are_not_candidates_on_cuda_and_need_matching_weights()
    {
        var cpu = CP.Subm16.Layer.Variants.OfType<CpuW8A8Variant>().First();
        Assert.True(cpu.SmoothQuant);
        var weights = new ConvWeights(new float[16 * 27 * 16], 16, Triple.All(3), 16);
        var input = new RandomSparse().Tensor(new SpatialShape(4, 4, 4), 16);
        var map = new CpuKernelMapBuilder().Build(input, CP.Subm16.Layer.Geometry);
        var accelerator = fixture.Session.Accelerator;
        ConvCall Call(W8A8LayerWeights quantized) => new()
        {
            Map = map, Weights = new LayerWeights(weights).Quantized(quantized), Input = input.Features, Output = new float[map.OutputCount * 16],
        };
        var e = Assert.Throws<ArgumentException>(() => cpu.Run(accelerator, Call(W8A8LayerWeights.Create(weights, 1f))));
        Assert.Contains("fuses SmoothQuant", e.Message);
        // The arguments are checked before the instruction set, so the same bad call is the same error on a CPU (or
        // under a restriction) without the variant's instructions.
        using (CpuFeatures.Restrict())
        {
            e = Assert.Throws<ArgumentException>(() => cpu.Run(accelerator, Call(W8A8LayerWeights.Create(weights, 1f))));
            Assert.Contains("fuses SmoothQuant", e.Message);
            var quantized = W8A8LayerWeights.Create(weights, 1f, Enumerable.Repeat(1f, 16).ToArray());
            if (cpu.InstructionSet != CpuInstructionSet.Portable)
            {
                var p = Assert.Throws<PlatformNotSupportedException>(() => cpu.Run(accelerator, Call(quantized)));
                Assert.Contains(cpu.InstructionSet.ToString(), p.Message);
            }
        }
    }

    private void CheckLayer(LayerDescriptor layer)
    {
        var random = new RandomSparse();
        var input = random.Tensor(new SpatialShape(7, 6, 6), layer.InChannels, batchSize: 2, density: 0.3);
        for (int i = 0; i < input.Features.Length; i += 2 * layer.InChannels + 1)
        {
            input.Features[i] *= 15; // outliers in some channels
        }
        var map = new CpuKernelMapBuilder().Build(input, layer.Geometry);
        var weights = new ConvWeights(
            random.Normal(layer.OutChannels * layer.Geometry.KernelVolume * layer.InChannels), layer.OutChannels,
            layer.Geometry.Kernel, layer.InChannels, layer.HasBias ? random.Normal(layer.OutChannels) : null);
        bool relu = layer.Activation == Activation.Relu;
        var residual = random.Normal(map.OutputCount * layer.OutChannels);
        string context = $"{layer.Name} (seed {random.Seed})";

        var oracle = DenseConv3dOracle.Forward(input, weights.Data, layer.OutChannels, layer.Geometry, weights.Bias, relu: false);
        var f32 = new LayerWeights(weights);
        var accelerator = fixture.Session.Accelerator;
        int ran = 0;
        foreach (var variant in layer.Variants.OfType<CpuF32Variant>())
        {
            if (!variant.CanRun(fixture.Session.Accelerator, out _))
            {
                continue;
            }
            // fp32 with a residual and the activation: the oracle's pre-activation values plus the residual, then ReLU.
            var output = Poison.Floats(map.OutputCount * layer.OutChannels);
            variant.Run(accelerator, new ConvCall { Map = map, Weights = f32, Input = input.Features, Residual = residual, Output = output });
            var expected = oracle.WithResidual(map, residual, relu);
            OracleAssert.Matches(new SparseTensor(output, map.OutputCoordinates, layer.OutChannels, map.OutputShape, map.BatchSize), expected, $"{context} {variant.Name}");
            ran++;
        }

        // W8A8 with s8 activations on a signed input, and with u8 activations (codes 0…255) on a non-negative one (what a
        // ReLU feeds), each bit-exact against the integer reference; the scale clips the largest values, so both ends of
        // the codes are reached.
        var nonNegative = new SparseTensor(input.Features.Select(Math.Abs).ToArray(), input.Coordinates, input.Channels, input.SpatialShape, input.BatchSize);
        foreach (var (x, format) in layer.HasW8A8 ? [(input, ActivationFormat.S8), (nonNegative, ActivationFormat.U8)] : Array.Empty<(SparseTensor, ActivationFormat)>())
        {
            string where = $"{layer.Name} {format} activations (seed {random.Seed})";
            float[]? smoothing = layer.SmoothQuant ? Enumerable.Range(0, layer.InChannels).Select(_ => (float)Math.Exp(random.Random.NextDouble() * 3 - 1.5)).ToArray() : null;
            // The scale of the smoothed input (x_j / s_j, what is quantized): its largest values clip, whatever the factors.
            float scale = Enumerable.Range(0, x.Features.Length).Max(i => Math.Abs(x.Features[i]) / (smoothing?[i % layer.InChannels] ?? 1f))
                / ActivationFormats.Of(format).Max * 0.8f;
            var quantized = f32.Quantized(new LayerQuantization(scale, smoothing, Format: format));
            var reference = Int8Reference.Conv(x, map, weights, scale, smoothing, relu: false, format: format);
            Assert.True(format == ActivationFormat.S8 || reference.Codes.Any(q => q > 127), $"{where}: no u8 code above 127 was exercised");
            foreach (var variant in layer.Variants.OfType<CpuW8A8Variant>())
            {
                if (!variant.CanRun(fixture.Session.Accelerator, out _))
                {
                    continue;
                }
                var output = Poison.Floats(map.OutputCount * layer.OutChannels);
                var sums = new int[output.Length];
                Array.Fill(sums, int.MinValue);
                variant.Run(accelerator, new ConvCall { Map = map, Weights = quantized, Input = x.Features, Residual = residual, Output = output, Accumulators = sums });
                // Without the sums requested the epilogue takes its vector path: same arithmetic, same results.
                var vectorOutput = Poison.Floats(output.Length);
                variant.Run(accelerator, new ConvCall { Map = map, Weights = quantized, Input = x.Features, Residual = residual, Output = vectorOutput });
                for (int i = 0; i < output.Length; i++)
                {
                    Assert.True(sums[i] == reference.Sums[i], $"{where} {variant.Name}: int32 sum {i} = {sums[i]}, exact {reference.Sums[i]}");
                    double value = reference.Values[i] + residual[i];
                    double expected = relu ? Math.Max(0, value) : value;
                    double bound = 1e-6 * (reference.Magnitudes[i] + Math.Abs(residual[i])) + 1e-7;
                    Assert.True(Math.Abs(output[i] - expected) <= bound, $"{where} {variant.Name}: element {i} = {output[i]}, reference {expected}");
                    Assert.True(vectorOutput[i] == output[i], $"{where} {variant.Name}: vector epilogue {vectorOutput[i]} vs scalar {output[i]} at {i}");
                }
                ran += format == ActivationFormat.S8 ? 1 : 0;
            }
        }
        // Every variant whose instruction set this machine has and allows ran (the portable ones always do).
        var runnable = layer.Variants.OfType<CpuSimdVariant>().Where(v => CpuFeatures.Supports(v.InstructionSet)).ToList();
        Assert.True(ran == runnable.Count, $"{context}: {ran} CPU variants ran, {runnable.Count} can run here");
    }
}
