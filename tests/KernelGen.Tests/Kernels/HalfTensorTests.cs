using ILGPU.Runtime;
using KernelGen.Accelerators;
using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Networks;
using KernelGen.Quantization;
using KernelGen.Tensors;
using KernelGen.Tests.Generated;
using KernelGen.Tests.Support;
using KernelGen.Variants;
using Half = System.Half;

namespace KernelGen.Tests.Kernels;

/// <summary>
/// fp16 tensors between fp16 layers on the device: a tensor-core fp16 kernel given its input and residual as fp16 bits
/// computes exactly what it computes from the same values in fp32 (it rounds its operands to fp16 anyway), and its fp16
/// output is that result rounded to nearest even (System.Half, an independent conversion); kernels without the
/// capability refuse fp16 views; a whole network chains fp16 between its fp16 nodes.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class HalfTensorTests(CpuAcceleratorFixture fixture)
{
    private static ushort Bits(float value) => BitConverter.HalfToUInt16Bits((Half)value);

    private static float Rounded(float value) => (float)(Half)value;

    public static TheoryData<string> EvenLayers() => new() { DownPadding011.Layer.Name, DownConv.Layer.Name };

    [Theory]
    [MemberData(nameof(EvenLayers))]
    public void Fp16_tensors_in_and_out_give_the_fp32_tensors_results_rounded_once(string layerName)
    {
        var accelerator = fixture.Session.Accelerator;
        var layer = GeneratedLayers.Find(layerName);
        var random = new RandomSparse(35);
        var input = random.Tensor(new SpatialShape(5, 6, 6), layer.InChannels, batchSize: 2, density: 0.3);
        var map = new CpuKernelMapBuilder().Build(input, layer.Geometry);
        var weights = new LayerWeights(new ConvWeights(random.Normal(layer.OutChannels * layer.Geometry.KernelVolume * layer.InChannels), layer.OutChannels,
            layer.Geometry.Kernel, layer.InChannels, layer.HasBias ? random.Normal(layer.OutChannels) : null));
        int elements = map.OutputCount * layer.OutChannels;
        // Values fp16 holds exactly: the fp32 and the fp16 tensors carry the same numbers.
        var features = input.Features.Select(Rounded).ToArray();
        var residual = random.Normal(elements).Select(Rounded).ToArray();
        var halfKernels = layer.Kernels.Where(k => k.Capabilities.HalfTensors).ToList();
        Assert.NotEmpty(halfKernels);
        Assert.All(halfKernels, k => Assert.Equal(KernelShape.TensorCore, k.Shape));

        using var buffers = new DeviceBuffers(accelerator);
        var map32 = buffers.Copy(map.OutIn).View;
        foreach (var kernel in halfKernels)
        {
            foreach (bool withResidual in new[] { false, true })
            {
                var fp32Out = buffers.Copy(Poison.Floats(elements));
                kernel.Launch(accelerator.DefaultStream, new DeviceConvCall
                {
                    Map = map, OutIn = map32, Weights = weights, Input = buffers.Copy(features).View,
                    Residual = withResidual ? buffers.Copy(residual).View : null, Output = fp32Out.View,
                });
                var halfOut = buffers.Copy(Enumerable.Repeat((ushort)0x7E01, elements).ToArray()); // a NaN pattern as poison
                kernel.Launch(accelerator.DefaultStream, new DeviceConvCall
                {
                    Map = map, OutIn = map32, Weights = weights, InputHalf = buffers.Copy(features.Select(Bits).ToArray()).View,
                    ResidualHalf = withResidual ? buffers.Copy(residual.Select(Bits).ToArray()).View : null, OutputHalf = halfOut.View,
                });
                var mixedOut = buffers.Copy(Poison.Floats(elements));
                kernel.Launch(accelerator.DefaultStream, new DeviceConvCall
                {
                    Map = map, OutIn = map32, Weights = weights, InputHalf = buffers.Copy(features.Select(Bits).ToArray()).View,
                    Residual = withResidual ? buffers.Copy(residual).View : null, Output = mixedOut.View,
                });
                accelerator.Synchronize();
                var expected = fp32Out.GetAsArray1D();
                Assert.Equal(expected.Select(Bits).ToArray(), halfOut.GetAsArray1D());
                Assert.Equal(expected, mixedOut.GetAsArray1D());
            }
        }
    }

    [Fact]
    public void Kernels_without_fp16_tensors_refuse_them_and_odd_channels_do_not_declare_them()
    {
        var accelerator = fixture.Session.Accelerator;
        Assert.DoesNotContain(SubmOddChannels.Layer.Kernels, k => k.Capabilities.HalfTensors); // 7 → 10: a row is not whole pairs
        var layer = DownPadding011.Layer;
        var generic = layer.GenericKernel(Precision.F16);
        Assert.False(generic.Capabilities.HalfTensors);
        var random = new RandomSparse(36);
        var input = random.Tensor(new SpatialShape(5, 6, 6), layer.InChannels, density: 0.3);
        var map = new CpuKernelMapBuilder().Build(input, layer.Geometry);
        using var buffers = new DeviceBuffers(accelerator);
        var e = Assert.Throws<NotSupportedException>(() => generic.Launch(accelerator.DefaultStream, new DeviceConvCall
        {
            Map = map, OutIn = buffers.Copy(map.OutIn).View,
            Weights = new LayerWeights(new ConvWeights(new float[layer.OutChannels * 27 * layer.InChannels], layer.OutChannels, layer.Geometry.Kernel, layer.InChannels)),
            InputHalf = buffers.Allocate<ushort>(input.Features.Length).View, Output = buffers.Allocate<float>(map.OutputCount * layer.OutChannels).View,
        }));
        Assert.Contains("fp16 tensors in and out", e.Message);
    }

    [Fact]
    public void A_network_chains_fp16_between_its_fp16_nodes_on_the_device()
    {
        // The head of CenterPoint's backbone (the ONNX fixture's description: the 5-channel input conv, a residual block of
        // 16 channels, the first down conv) in fp16 on tensor-core kernels — small, as tensor-core kernels crawl on the CPU
        // accelerator. Every node but the input conv (5 channels: not whole pairs) and the output writes fp16.
        var network = Onnx.OnnxImportTests.Tiny();
        using var runner = new NetworkRunner(fixture.Session.Accelerator);
        var plan = runner.Plan(network, new RandomSparse(37).Tensor(new SpatialShape(11, 12, 12), 5, density: 0.05));
        var weights = NetworkWeights.Synthetic(network);
        var kernels = plan.Nodes.Select(n => n.Layer.KernelsFor(new KernelNeeds(Precision.F16, Residual: n.Node.Residual is not null))
            .First(k => k.Shape == KernelShape.TensorCore)).ToList();
        var host = runner.Run(plan, weights, kernels, PrecisionPlan.F16, keepOutputs: true, deviceResident: false);
        Assert.Equal(0, runner.HalfOutputs);
        var resident = runner.Run(plan, weights, kernels, PrecisionPlan.F16, keepOutputs: true, deviceResident: true);
        Assert.Equal(plan.Nodes.Count - 2, runner.HalfOutputs);
        // Node by node: the first fp16 output is the fp32 one rounded once (the same operands); later nodes read those
        // rounded values, so they agree closely, not exactly.
        Assert.Equal(host.Outputs["conv1.0.conv1"].Features.Select(Rounded).ToArray(), resident.Outputs["conv1.0.conv1"].Features);
        var agreement = ErrorMetrics.Compare(resident.Output.Features, host.Output.Features.Select(v => (double)v).ToArray());
        Assert.True(agreement.Cosine > 0.9999, $"cosine {agreement.Cosine} between fp16 and fp32 tensors between the fp16 nodes");
        Assert.Equal(host.Output.Coordinates, resident.Output.Coordinates);
    }
}
