using BenchmarkDotNet.Attributes;
using ILGPU;
using ILGPU.Runtime;
using KernelGen.Accelerators;
using KernelGen.Kernels;
using KernelGen.Quantization;
using KernelGen.__Internals;

namespace KernelGen.Benchmarks;

/// <summary>
/// The cost of the fused quantize prologue: the generic W8A8 kernel on fp32 input (quantized as it is gathered)
/// against the same kernel on int8 input (already quantized by the previous layer's epilogue), per CenterPoint layer
/// shape with ≥ 16 input channels, first 4,096 output rows of the KITTI frame's maps, ILGPU CPU accelerator.
/// </summary>
public class QuantizePrologueBenchmarks
{
    [Params("subm 16->16 k3", "subm 32->32 k3", "subm 64->64 k3", "sparse 64->128 k3", "subm 128->128 k3")]
    public string Shape { get; set; } = "";

    [Params("fp32 input (fused quantize)", "int8 input")]
    public string Input { get; set; } = "";

    private AcceleratorSession _session = null!;
    private GenericW8A8ImplicitGemm _gemm = null!;
    private DeviceBuffers _buffers = null!;
    private Action _run = null!;

    [GlobalSetup]
    public void Setup()
    {
        var (_, layer, map, input) = BenchmarkInputs.LayerInputs(BenchmarkInputs.NuScenesVoxels())
            .First(x => $"{(x.Layer.Geometry.Kind == ConvKind.SubManifold ? "subm" : "sparse")} {x.Layer.InChannels}->{x.Layer.OutChannels} k{x.Layer.Geometry.Kernel}" == Shape);
        _session = AcceleratorSession.Open(AcceleratorChoice.Cpu);
        var accelerator = _session.Accelerator;
        _buffers = new DeviceBuffers(accelerator);
        _gemm = new GenericW8A8ImplicitGemm(accelerator);
        int rows = Math.Min(4096, map.OutputCount), k = map.KernelVolume, cin = layer.InChannels, cout = layer.OutChannels;
        var random = new Random(3);
        var weights = new ConvWeights(Enumerable.Range(0, cout * k * cin).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray(), cout, layer.Geometry.Kernel, cin);
        var q = W8A8LayerWeights.Create(weights, 1f / 127);
        var features = Enumerable.Range(0, input.Count * cin).Select(_ => (float)random.NextDouble()).ToArray();
        var features8 = features.Select(v => (sbyte)Int8Math.Quantize(v * 127)).ToArray();
        var f = _buffers.Copy(features);
        var f8 = _buffers.Copy(features8);
        var outIn = _buffers.Copy(map.OutIn.AsSpan(0, rows * k).ToArray());
        var packed = _buffers.Copy(q.Packed);
        var multipliers = _buffers.Copy(q.ActivationMultipliers);
        var dequantize = _buffers.Copy(q.DequantizeScales);
        var bias = _buffers.Copy(q.Bias);
        var output = _buffers.Allocate<float>(rows * cout);
        var output8 = _buffers.Allocate<sbyte>(1);
        var shape = new W8A8Shape
        {
            InChannels = cin, InChannelWords = q.InChannelWords, OutChannels = cout, KernelVolume = k, HasBias = 1, Relu = 1,
            Int8Input = Input == "int8 input" ? 1 : 0, Elements = rows * cout,
        };
        _run = () => _gemm.Launch(accelerator.DefaultStream, f.View, f8.View, outIn.View, packed.View, multipliers.View, dequantize.View,
            bias.View, output.View, output.View, output8.View, multipliers.View, shape, q.Format);
        Run();
    }

    [Benchmark]
    public void Run()
    {
        _run();
        _session.Accelerator.Synchronize();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _buffers.Dispose();
        _session.Dispose();
    }
}
