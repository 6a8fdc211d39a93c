using BenchmarkDotNet.Attributes;
using ILGPU;
using ILGPU.Runtime;
using KernelGen.Accelerators;
using KernelGen.Models.CenterPoint;
using KernelGen.Networks;
using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Quantization;
using KernelGen.Variants;
using KernelGen.__Internals;

namespace KernelGen.Benchmarks;

/// <summary>
/// Generated (specialized) variants against the generic kernel per CenterPoint layer shape, on the KITTI frame's real
/// kernel maps, kernel time only, ILGPU CPU accelerator (set KERNELGEN_BENCH_CUDA=1 to add CUDA). Barrier-free variants
/// run on the first 4,096 output rows like <see cref="GenericKernelBenchmarks"/>; GPU-style variants (group barriers,
/// one OS thread per group thread on the CPU accelerator) on the first 256 rows of one shape, to show their CPU cost.
/// </summary>
public class SpecializedKernelBenchmarks
{
    private static readonly (string Shape, LayerDescriptor Layer)[] Generated =
    [
        ("subm 5->16 k3", ConvInput.Layer), ("subm 16->16 k3", Subm16.Layer), ("sparse 16->32 k3", Down16To32.Layer),
        ("subm 32->32 k3", Subm32.Layer), ("sparse 32->64 k3", Down32To64.Layer), ("subm 64->64 k3", Subm64.Layer),
        ("sparse 64->128 k3", Down64To128.Layer), ("subm 128->128 k3", Subm128.Layer), ("sparse 128->128 k(3,1,1)", ExtraConv.Layer),
    ];

    [ParamsSource(nameof(Cases))]
    public string Case { get; set; } = "";

    [ParamsSource(nameof(GenericKernelBenchmarks.Accelerators))]
    public string Accelerator { get; set; } = "cpu";

    public static IEnumerable<string> Accelerators() => GenericKernelBenchmarks.Accelerators();

    /// <summary>"shape|variant|rows" for the generic kernel and every barrier-free variant, plus GPU-style samples.</summary>
    public static IEnumerable<string> Cases()
    {
        foreach (var (shape, layer) in Generated)
        {
            yield return $"{shape}|generic|4096";
            foreach (var variant in layer.Variants.Where(v => v.Shape == KernelShape.BarrierFree))
            {
                yield return $"{shape}|{variant.Name}|4096";
            }
        }
        yield return "subm 32->32 k3|generic|256";
        foreach (var variant in Subm32.Layer.Variants.Where(v => v.Shape == KernelShape.GpuStyle))
        {
            yield return $"subm 32->32 k3|{variant.Name}|256";
        }
    }

    private Action _run = null!;
    private AcceleratorSession _session = null!;
    private DeviceBuffers _buffers = null!;

    [GlobalSetup]
    public void Setup()
    {
        var parts = Case.Split('|');
        var (shape, variantName, maxRows) = (parts[0], parts[1], int.Parse(parts[2]));
        var generated = Generated.Single(g => g.Shape == shape).Layer;
        var (_, layer, map, input) = BenchmarkInputs.LayerInputs(BenchmarkInputs.NuScenesVoxels())
            .First(x => x.Layer.InChannels == generated.InChannels && x.Layer.OutChannels == generated.OutChannels && x.Layer.Geometry == generated.Geometry);
        _session = AcceleratorSession.Open(AcceleratorSession.ParseChoice(Accelerator));
        var accelerator = _session.Accelerator;
        _buffers = new DeviceBuffers(accelerator);
        var stream = accelerator.DefaultStream;
        int rows = Math.Min(maxRows, map.OutputCount), k = map.KernelVolume;

        var random = new Random(7);
        var features = Enumerable.Range(0, input.Count * layer.InChannels).Select(_ => (float)random.NextDouble()).ToArray();
        var weights = new ConvWeights(
            Enumerable.Range(0, layer.OutChannels * k * layer.InChannels).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray(),
            layer.OutChannels, layer.Geometry.Kernel, layer.InChannels, new float[layer.OutChannels]);
        var featureBuffer = _buffers.Copy(features);
        var outIn = _buffers.Copy(map.OutIn.AsSpan(0, rows * k).ToArray());
        var output = _buffers.Allocate<float>(rows * layer.OutChannels);
        var bias = _buffers.Copy(new float[layer.OutChannels]);

        if (variantName == "generic")
        {
            var gemm = new GenericImplicitGemm(accelerator);
            var packed = _buffers.Copy(weights.Data);
            var gemmShape = GenericImplicitGemm.ShapeOf(weights, Activation.Relu);
            _run = () => gemm.Launch(stream, featureBuffer.View, outIn.View, packed.View, bias.View, output.View, gemmShape, rows);
        }
        else if (generated.Variants.Single(v => v.Name == variantName) is F32Variant f32)
        {
            var packed = _buffers.Copy(F32LayerWeights.From(weights).Packed);
            var epilogue = Fp32Epilogue(bias.View, output.View);
            _run = () => f32.Launch(stream, featureBuffer.View, outIn.View, packed.View, epilogue, rows);
        }
        else
        {
            var w8a8 = (W8A8Variant)generated.Variants.Single(v => v.Name == variantName);
            var smoothing = generated.SmoothQuant ? Enumerable.Repeat(1f, layer.InChannels).ToArray() : null;
            var q = W8A8LayerWeights.Create(weights, 1f / 127, smoothing);
            var packed = _buffers.Copy(q.Packed);
            var multipliers = _buffers.Copy(q.ActivationMultipliers);
            var epilogue = Fp32Epilogue(bias.View, output.View);
            epilogue.DequantizeScales = _buffers.Copy(q.DequantizeScales).View;
            var noInt8 = _buffers.Allocate<sbyte>(1);
            _run = () => w8a8.Launch(stream, featureBuffer.View, noInt8.View, outIn.View, packed.View, multipliers.View, epilogue, rows);
        }
        long pairs = map.OutIn.AsSpan(0, rows * k).ToArray().Count(r => r >= 0);
        Console.WriteLine($"// {Case}: {rows} rows, {pairs} pairs, {pairs * (double)layer.InChannels * layer.OutChannels / 1e6:F2} MMAC per run");
        Run(); // compile
    }

    // fp32 output, no residual: the epilogue of the layers as the backbone runs them.
    private GpuEpilogue Fp32Epilogue(ArrayView<float> bias, ArrayView<float> output) => new()
    {
        DequantizeScales = _buffers.Allocate<float>(1).View,
        Bias = bias,
        Residual = _buffers.Allocate<float>(1).View,
        Output = output,
        OutputInt8 = _buffers.Allocate<sbyte>(1).View,
        OutputMultipliers = _buffers.Allocate<float>(1).View,
    };

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
