using ILGPU.Runtime;
using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Quantization;
using KernelGen.Tensors;
using KernelGen.Tests.Generated;
using KernelGen.Tests.Support;
using KernelGen.Variants;

namespace KernelGen.Tests.Kernels;

/// <summary>
/// The kernel contract: every kernel of every generated test layer (generated variants of every family and the generic
/// kernels), in every combination of the features it declares (residual; int8 input; int8 output) and, for W8A8, of the
/// activation formats (s8 and u8 input codes; s8 and u8 output codes), through the one <see cref="IConvKernel.Run"/>,
/// against the independent references — the dense double conv3d for fp32, the exact integer reference for W8A8 — on
/// fresh random inputs with poisoned outputs. A feature a kernel does not declare is refused with a clear error.
/// </summary>
public abstract class ConvKernelContractTests
{
    protected abstract Accelerator? Accelerator { get; }

    private static readonly LayerDescriptor[] TestLayers =
        [SubmOddChannels.Layer, DownConv.Layer, ExtraConvShape.Layer, DownPadding011.Layer, SubmDilated.Layer];

    public static TheoryData<string> Layers() => new(TestLayers.Select(layer => layer.Name));

    [Theory]
    [MemberData(nameof(Layers))]
    public void Every_kernel_in_every_declared_combination_matches_the_references(string layerName)
    {
        Assert.SkipWhen(Accelerator is null, "no CUDA device on this machine");
        var layer = GeneratedLayers.Find(layerName);
        var random = new RandomSparse();
        var input = random.Tensor(new SpatialShape(7, 6, 6), layer.InChannels, batchSize: 2, density: 0.3);
        for (int i = 0; i < input.Features.Length; i += 3 * input.Channels + 1)
        {
            input.Features[i] *= 20; // outlier channels: clamping and smoothing both matter
        }
        var map = new CpuKernelMapBuilder().Build(input, layer.Geometry);
        var weights = new ConvWeights(
            random.Normal(layer.OutChannels * layer.Geometry.KernelVolume * layer.InChannels), layer.OutChannels,
            layer.Geometry.Kernel, layer.InChannels, layer.HasBias ? random.Normal(layer.OutChannels) : null);
        int elements = map.OutputCount * layer.OutChannels;
        var residual = random.Normal(elements);
        bool relu = layer.Activation == Activation.Relu;
        string seed = $"seed {random.Seed}";

        var oracle = DenseConv3dOracle.Forward(input, weights.Data, layer.OutChannels, layer.Geometry, weights.Bias, relu: false);
        // fp16 kernels: the same oracle on the operands rounded to fp16 (System.Half, to nearest even).
        static float[] Rounded(float[] values) => values.Select(v => (float)(Half)v).ToArray();
        var halfOracle = DenseConv3dOracle.Forward(
            new SparseTensor(Rounded(input.Features), input.Coordinates, input.Channels, input.SpatialShape, input.BatchSize),
            Rounded(weights.Data), layer.OutChannels, layer.Geometry, weights.Bias, relu: false);

        var outputMultipliers = Enumerable.Range(0, layer.OutChannels).Select(_ => (float)(0.5 + random.Random.NextDouble() * 4)).ToArray();
        float[]? smoothing = layer.SmoothQuant
            ? Enumerable.Range(0, layer.InChannels).Select(_ => (float)Math.Exp(random.Random.NextDouble() * 3 - 1.5)).ToArray()
            : null;

        int runs = 0;
        // fp32 and fp16 kernels run once (with s8 and u8 int8 outputs); W8A8 kernels once per input activation format.
        foreach (var inputFormat in layer.HasW8A8 ? ActivationFormats.All.Select(f => f.Format) : [ActivationFormat.S8])
        {
            var codes = ActivationFormats.Of(inputFormat);
            LayerWeights prepared = new(weights);
            Int8Reference.Result? int8 = null;
            if (layer.HasW8A8)
            {
                // The largest values clip; for u8 the input's negative values clamp to code 0.
                float scale = input.Features.Max(Math.Abs) / codes.Max * 0.8f;
                prepared = prepared.Quantized(new LayerQuantization(scale, smoothing, Format: inputFormat));
                int8 = Int8Reference.Conv(input, map, weights, scale, smoothing, relu: false, format: inputFormat);
            }
            // 8-bit input as a previous layer's int8 epilogue writes it: codes of the format, in sbyte storage.
            var inputInt8 = Enumerable.Range(0, input.Features.Length).Select(_ => unchecked((sbyte)random.Random.Next(codes.Min, codes.Max + 1))).ToArray();
            foreach (var kernel in layer.Kernels)
            {
                if (!kernel.CanRun(Accelerator!, out _) || (kernel.Capabilities.Precision != Precision.W8A8 && inputFormat != ActivationFormat.S8))
                {
                    continue;
                }
                var caps = kernel.Capabilities;
                Assert.Equal(layer.Activation, caps.Activation);
                // The CPU accelerator emulates tensor cores with warp shuffles, slowly: there, those kernels run every feature
                // off and every declared feature on (each prologue and epilogue path once); a GPU runs every combination.
                bool emulated = kernel.Shape == KernelShape.TensorCore && Accelerator!.AcceleratorType == AcceleratorType.CPU;
                foreach (bool withResidual in caps.Residual ? [false, true] : new[] { false })
                {
                    foreach (bool fromInt8 in caps.Int8Input ? [false, true] : new[] { false })
                    {
                        foreach (bool toInt8 in caps.Int8Output ? [false, true] : new[] { false })
                        {
                            bool allOff = !withResidual && !fromInt8 && !toInt8;
                            bool allOn = withResidual && fromInt8 == caps.Int8Input && toInt8 == caps.Int8Output;
                            if (emulated && !allOff && !allOn)
                            {
                                continue;
                            }
                            // The output codes: the same format as the input without a residual, the other one with it,
                            // so every (input, output) pair of formats is run.
                            var outputFormat = withResidual == (inputFormat == ActivationFormat.S8) ? ActivationFormat.U8 : ActivationFormat.S8;
                            string context = $"{layer.Name} {kernel.Name} residual={withResidual} int8in={fromInt8} int8out={toInt8} "
                                + $"in={(caps.Precision == Precision.W8A8 ? inputFormat.Name() : "fp32")} out={(toInt8 ? outputFormat.Name() : "fp32")} ({seed})";
                            var output = toInt8 ? null : Poison.Floats(elements);
                            // Poison that no format writes: -128 (u8 code 128 is written as -128 too, so u8 outputs also
                            // compare every element against the reference below).
                            var output8 = toInt8 ? Enumerable.Repeat(sbyte.MinValue, elements).ToArray() : null;
                            kernel.Run(Accelerator!, new ConvCall
                            {
                                Map = map,
                                Weights = prepared,
                                Input = fromInt8 ? null : input.Features,
                                InputInt8 = fromInt8 ? inputInt8 : null,
                                Residual = withResidual ? residual : null,
                                Output = output,
                                OutputInt8 = output8,
                                OutputMultipliers = toInt8 ? outputMultipliers : null,
                                OutputFormat = outputFormat,
                            });
                            runs++;
                            int Code(sbyte stored) => outputFormat == ActivationFormat.U8 ? (byte)stored : stored;
                            if (caps.Precision == Precision.F16)
                            {
                                OracleAssert.Matches(new SparseTensor(output!, map.OutputCoordinates, layer.OutChannels, map.OutputShape, map.BatchSize),
                                    halfOracle.WithResidual(map, withResidual ? residual : null, relu), context);
                                continue;
                            }
                            if (caps.Precision == Precision.F32 && !toInt8)
                            {
                                // fp32 sums: the dense double oracle decides.
                                OracleAssert.Matches(new SparseTensor(output!, map.OutputCoordinates, layer.OutChannels, map.OutputShape, map.BatchSize),
                                    oracle.WithResidual(map, withResidual ? residual : null, relu), context);
                                continue;
                            }
                            if (caps.Precision == Precision.F32)
                            {
                                // fp32 sums requantized for an int8 layer that follows: the oracle's value, requantized per channel,
                                // within one step where the fp32 sum and the double oracle fall on different sides of a rounding edge.
                                var expectedValues = oracle.WithResidual(map, withResidual ? residual : null, relu);
                                for (int i = 0; i < elements; i++)
                                {
                                    int row = i / layer.OutChannels, n = i % layer.OutChannels;
                                    double scaled = expectedValues.ValueAt(map, row, n) * outputMultipliers[n];
                                    int q = Int8Reference.RoundClamp(scaled, outputFormat);
                                    bool edge = Math.Abs(Math.Abs(scaled - Math.Truncate(scaled)) - 0.5) <= 1e-3 * (1 + Math.Abs(scaled));
                                    Assert.True(Code(output8![i]) == q || (edge && Math.Abs(Code(output8[i]) - q) <= 1), $"{context}: int8 element {i} = {Code(output8[i])}, expected {q}");
                                }
                                continue;
                            }
                            for (int i = 0; i < elements; i++)
                            {
                                var reference = int8!;
                                long sum = fromInt8 ? ExactSum(inputInt8, inputFormat, reference.QuantizedWeights, map, layer, i) : reference.Sums[i];
                                double dequantized = sum * (double)prepared.Int8!.ActivationScale * reference.WeightScales[i % layer.OutChannels];
                                double bias = weights.Bias?[i % layer.OutChannels] ?? 0;
                                double value = dequantized + bias;
                                double bound = 1e-6 * (Math.Abs(dequantized) + Math.Abs(bias)) + 1e-7;
                                if (withResidual)
                                {
                                    value += residual[i];
                                    bound += 1e-6 * Math.Abs(residual[i]);
                                }
                                double expected = relu ? Math.Max(0, value) : value;
                                if (toInt8)
                                {
                                    // Requantized per channel: q = clamp(rne(y · m_n)); within one step where y · m_n sits on a rounding edge.
                                    double scaled = expected * outputMultipliers[i % layer.OutChannels];
                                    int q = Int8Reference.RoundClamp(scaled, outputFormat);
                                    bool edge = Math.Abs(Math.Abs(scaled - Math.Truncate(scaled)) - 0.5) <= 1e-4 + bound * outputMultipliers[i % layer.OutChannels];
                                    Assert.True(Code(output8![i]) == q || (edge && Math.Abs(Code(output8[i]) - q) <= 1), $"{context}: int8 element {i} = {Code(output8[i])}, expected {q}");
                                }
                                else
                                {
                                    Assert.True(Math.Abs(output![i] - expected) <= bound, $"{context}: element {i} = {output[i]}, reference {expected}");
                                }
                            }
                        }
                    }
                }
            }
        }
        int expectedKernels = layer.Kernels.Count(k => k.CanRun(Accelerator!, out _));
        Assert.True(runs >= expectedKernels, $"{layer.Name}: {runs} runs over {expectedKernels} runnable kernels");
    }

    // One layer with odd channel counts (padded int8 words, a Cout edge): GPU-style kernels crawl on the CPU accelerator.
    public static TheoryData<string> DeviceLayers() => new(SubmOddChannels.Layer.Name);

    [Theory]
    [MemberData(nameof(DeviceLayers))]
    public void Every_accelerator_kernel_launches_on_device_resident_tensors_exactly_as_it_runs_on_host_arrays(string layerName)
    {
        Assert.SkipWhen(Accelerator is null, "no CUDA device on this machine");
        var accelerator = Accelerator!;
        var layer = GeneratedLayers.Find(layerName);
        var random = new RandomSparse();
        var input = random.Tensor(new SpatialShape(5, 5, 5), layer.InChannels, batchSize: 2, density: 0.25);
        var map = new CpuKernelMapBuilder().Build(input, layer.Geometry);
        var weights = new ConvWeights(
            random.Normal(layer.OutChannels * layer.Geometry.KernelVolume * layer.InChannels), layer.OutChannels,
            layer.Geometry.Kernel, layer.InChannels, layer.HasBias ? random.Normal(layer.OutChannels) : null);
        int elements = map.OutputCount * layer.OutChannels;
        var residual = random.Normal(elements);
        var multipliers = Enumerable.Range(0, layer.OutChannels).Select(_ => (float)(0.5 + random.Random.NextDouble() * 4)).ToArray();
        var fp32 = new LayerWeights(weights);

        using var buffers = new KernelGen.Accelerators.DeviceBuffers(accelerator);
        var deviceInput = buffers.Copy(input.Features).View;
        var deviceMap = buffers.Copy(map.OutIn).View;
        var deviceResidual = buffers.Copy(residual).View;
        var deviceMultipliers = buffers.Copy(multipliers).View;
        int launched = 0;
        foreach (var format in layer.HasW8A8 ? ActivationFormats.All.Select(f => f.Format) : [ActivationFormat.S8])
        {
            var codes = ActivationFormats.Of(format);
            var int8 = layer.HasW8A8
                ? fp32.Quantized(LayerQuantization.FromInput(weights, input.Features, layer.SmoothQuant, layer.Alpha, format))
                : null;
            var inputInt8 = Enumerable.Range(0, input.Features.Length).Select(_ => unchecked((sbyte)random.Random.Next(codes.Min, codes.Max + 1))).ToArray();
            var deviceInput8 = buffers.Copy(inputInt8).View;
            foreach (var kernel in layer.Kernels.Where(k => k.CanRun(accelerator, out _)))
            {
                var caps = kernel.Capabilities;
                if (caps.Precision != Precision.W8A8 && format != ActivationFormat.S8)
                {
                    continue;
                }
                var prepared = caps.Precision == Precision.W8A8 ? int8! : fp32;
                if (caps.Device == KernelDevice.Host)
                {
                    var e = Assert.Throws<NotSupportedException>(() => kernel.Launch(accelerator.DefaultStream, new DeviceConvCall
                    {
                        Map = map, OutIn = deviceMap, Weights = prepared, Input = deviceInput, Output = buffers.Allocate<float>(elements).View,
                    }));
                    Assert.Contains("runs on the host", e.Message);
                    continue;
                }
                foreach (bool withResidual in caps.Residual ? [false, true] : new[] { false })
                {
                    foreach (bool fromInt8 in caps.Int8Input ? [false, true] : new[] { false })
                    {
                        foreach (bool toInt8 in caps.Int8Output ? [false, true] : new[] { false })
                        {
                            var outputFormat = withResidual ? ActivationFormat.U8 : ActivationFormat.S8;
                            string context = $"{layer.Name} {kernel.Name} residual={withResidual} int8in={fromInt8} int8out={toInt8} in={format.Name()} out={outputFormat.Name()}";
                            var host = toInt8 ? null : Poison.Floats(elements);
                            var host8 = toInt8 ? Enumerable.Repeat(sbyte.MinValue, elements).ToArray() : null;
                            kernel.Run(accelerator, new ConvCall
                            {
                                Map = map, Weights = prepared, Input = fromInt8 ? null : input.Features, InputInt8 = fromInt8 ? inputInt8 : null,
                                Residual = withResidual ? residual : null, Output = host, OutputInt8 = host8, OutputMultipliers = toInt8 ? multipliers : null,
                                OutputFormat = outputFormat,
                            });
                            var output = buffers.Copy(Poison.Floats(elements));
                            var output8 = buffers.Copy(Enumerable.Repeat(sbyte.MinValue, elements).ToArray());
                            kernel.Launch(accelerator.DefaultStream, new DeviceConvCall
                            {
                                Map = map, OutIn = deviceMap, Weights = prepared,
                                Input = fromInt8 ? null : deviceInput, InputInt8 = fromInt8 ? deviceInput8 : null,
                                Residual = withResidual ? deviceResidual : null,
                                Output = toInt8 ? null : output.View, OutputInt8 = toInt8 ? output8.View : null,
                                OutputMultipliers = toInt8 ? deviceMultipliers : null, OutputFormat = outputFormat,
                            });
                            accelerator.Synchronize();
                            if (toInt8)
                            {
                                Assert.True(host8!.SequenceEqual(output8.GetAsArray1D()), $"{context}: the launch's int8 output differs from the run's");
                            }
                            else
                            {
                                var launchedOutput = output.GetAsArray1D();
                                int bad = Enumerable.Range(0, elements).FirstOrDefault(i => BitConverter.SingleToInt32Bits(launchedOutput[i]) != BitConverter.SingleToInt32Bits(host![i]), -1);
                                Assert.True(bad < 0, $"{context}: element {bad} launched {(bad < 0 ? 0 : launchedOutput[bad])}, ran {(bad < 0 ? 0 : host![bad])}");
                            }
                            launched++;
                        }
                    }
                }
            }
        }
        Assert.True(launched > 0, $"{layer.Name}: no kernel launched on device-resident tensors");
    }

    [Fact]
    public void A_kernel_refuses_what_it_does_not_declare_and_a_map_of_another_geometry()
    {
        Assert.SkipWhen(Accelerator is null, "no CUDA device on this machine");
        var layer = SubmOddChannels.Layer;
        var random = new RandomSparse();
        var input = random.Tensor(new SpatialShape(5, 5, 5), layer.InChannels, density: 0.3);
        var map = new CpuKernelMapBuilder().Build(input, layer.Geometry);
        var weights = new LayerWeights(new ConvWeights(random.Normal(10 * 27 * 7), 10, Triple.All(3), 7, random.Normal(10)));
        int elements = map.OutputCount * 10;

        var gpu = layer.Kernels.First(k => k.Name == "F32_Tile16x4x4_BarrierFree");
        Assert.False(gpu.Capabilities.Int8Input);
        var e = Assert.Throws<NotSupportedException>(() => gpu.Run(Accelerator!, new ConvCall
        {
            Map = map, Weights = weights, InputInt8 = new sbyte[input.Features.Length], Output = new float[elements],
        }));
        Assert.Contains("F32_Tile16x4x4_BarrierFree does not support int8 input", e.Message);

        var generic = layer.GenericKernel(Precision.F32);
        Assert.False(generic.Capabilities.Int8Output);
        e = Assert.Throws<NotSupportedException>(() => generic.Run(Accelerator!, new ConvCall
        {
            Map = map, Weights = weights, Input = input.Features, OutputInt8 = new sbyte[elements], OutputMultipliers = Enumerable.Repeat(1f, 10).ToArray(),
        }));
        Assert.Contains("Generic_F32 does not support int8 output with per-channel requantization", e.Message);

        var quantized = weights.Quantized(new LayerQuantization(0.1f, Enumerable.Repeat(1f, 7).ToArray()));
        var fp32Only = layer.Kernels.First(k => k.Capabilities.Precision == Precision.W8A8);
        var a = Assert.Throws<ArgumentException>(() => fp32Only.Run(Accelerator!, new ConvCall { Map = map, Weights = weights, Input = input.Features, Output = new float[elements] }));
        Assert.Contains("were not quantized", a.Message);

        // A map of another geometry with the same offset count: only the geometry tells them apart.
        var dilated = new CpuKernelMapBuilder().Build(input, ConvGeometry.Uniform(ConvKind.SubManifold, 3, dilation: 2));
        foreach (var kernel in layer.Kernels.Where(k => k.Capabilities.Precision == Precision.F32))
        {
            a = Assert.Throws<ArgumentException>(() => kernel.Run(Accelerator!, new ConvCall { Map = dilated, Weights = weights, Input = input.Features, Output = new float[elements] }));
            Assert.Contains("the kernel map was built for SubManifold kernel 3 stride 1 padding 0 dilation 2", a.Message);
        }

        a = Assert.Throws<ArgumentException>(() => gpu.Run(Accelerator!, new ConvCall { Map = map, Weights = weights, Input = new float[7], Output = new float[elements] }));
        Assert.Contains($"input must hold [N={map.InputCount}, Cin=7]", a.Message);
        var other = new LayerWeights(new ConvWeights(new float[10 * 27 * 8], 10, Triple.All(3), 8));
        a = Assert.Throws<ArgumentException>(() => gpu.Run(Accelerator!, new ConvCall { Map = map, Weights = other, Input = input.Features, Output = new float[elements] }));
        Assert.Contains("needs weights [Cout=10, 3, 3, 3, Cin=7]", a.Message);
    }

    [Fact]
    public void Every_layer_lists_its_generated_variants_and_the_generic_kernels_with_unique_names()
    {
        foreach (var layer in TestLayers)
        {
            Assert.Equal(layer.Kernels.Count, layer.Kernels.Select(k => k.Name).Distinct().Count());
            Assert.All(layer.Variants, v => Assert.Contains(v, layer.Kernels));
            Assert.Contains(layer.Kernels, k => k.Name == GenericConvKernel.F32Name);
            Assert.Equal(layer.HasW8A8, layer.Kernels.Any(k => k.Name == GenericConvKernel.W8A8Name));
            Assert.Contains(layer.Kernels, k => k.Capabilities.Device == KernelDevice.Host); // CPU SIMD variants are kernels too
            // What the default choice and the tuner read is declared, not found by type: shape, tile, instruction set.
            Assert.Equal(KernelShape.Generic, layer.GenericKernel(Precision.F32).Shape);
            Assert.Equal(default, layer.GenericKernel(Precision.F32).Tile);
            Assert.All(layer.Variants.OfType<CpuSimdVariant>(), v => Assert.Equal(v.InstructionSet, v.Capabilities.InstructionSet));
            Assert.All(layer.Kernels.Where(k => k.Capabilities.Device != KernelDevice.Host), k => Assert.Null(k.Capabilities.InstructionSet));
        }
    }

    private static long ExactSum(sbyte[] input, ActivationFormat format, sbyte[] weights, KernelMap map, LayerDescriptor layer, int element)
    {
        int cin = layer.InChannels, k = map.KernelVolume, row = element / layer.OutChannels, n = element % layer.OutChannels;
        long sum = 0;
        for (int offset = 0; offset < k; offset++)
        {
            int source = map.OutIn[row * k + offset];
            for (int c = 0; source >= 0 && c < cin; c++)
            {
                int code = format == ActivationFormat.U8 ? (byte)input[source * cin + c] : input[source * cin + c];
                sum += code * weights[(n * k + offset) * cin + c];
            }
        }
        return sum;
    }
}

[Collection(CpuAcceleratorCollection.Name)]
public sealed class CpuConvKernelContractTests(CpuAcceleratorFixture fixture) : ConvKernelContractTests
{
    protected override Accelerator? Accelerator => fixture.Session.Accelerator;
}

[Collection(CudaAcceleratorCollection.Name)]
public sealed class CudaConvKernelContractTests(CudaAcceleratorFixture fixture) : ConvKernelContractTests
{
    protected override Accelerator? Accelerator => fixture.Session?.Accelerator;
}
