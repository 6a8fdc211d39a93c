using KernelGen;
using BenchmarkDotNet.Attributes;
using ILGPU;
using ILGPU.Runtime;
using KernelGen.Accelerators;
using KernelGen.KernelMaps;
using KernelGen.Kernels;

using KernelGen.Models.CenterPoint;
using KernelGen.Networks;
using KernelGen.Variants;

namespace KernelGen.Benchmarks;

/// <summary>
/// The generic ILGPU implicit GEMM per distinct CenterPoint layer shape on the KITTI frame's real kernel maps, data
/// resident on the device, kernel time only (launch + synchronize). On ILGPU's CPU accelerator the full layers take
/// tens of seconds, so each shape runs on its first <see cref="Rows"/> output rows; GMAC/s follow from the map pairs
/// of those rows (printed in the setup).
/// </summary>
public class GenericKernelBenchmarks
{
    public const int Rows = 4096;

    private AcceleratorSession _session = null!;
    private GenericImplicitGemm _gemm = null!;
    private MemoryBuffer1D<float, Stride1D.Dense> _features = null!, _weights = null!, _bias = null!, _output = null!;
    private MemoryBuffer1D<int, Stride1D.Dense> _outIn = null!;
    private GemmShape _shape;
    private int _rows;

    [ParamsSource(nameof(Shapes))]
    public string Shape { get; set; } = "";

    [ParamsSource(nameof(Accelerators))]
    public string Accelerator { get; set; } = "cpu";

    public static IEnumerable<string> Accelerators() =>
        Environment.GetEnvironmentVariable("KERNELGEN_BENCH_CUDA") == "1" ? ["cpu", "cuda"] : ["cpu"];

    /// <summary>The first layer of each distinct (kind, channels) shape.</summary>
    public static IEnumerable<string> Shapes() =>
        BenchmarkInputs.CenterPoint.Layers.GroupBy(ShapeName).Select(g => g.Key);

    private static string ShapeName(LayerDescriptor l) =>
        $"{(l.Geometry.Kind == ConvKind.SubManifold ? "subm" : "sparse")} {l.InChannels}->{l.OutChannels} k{l.Geometry.Kernel}";

    [GlobalSetup]
    public void Setup()
    {
        var (_, layer, map, input) = BenchmarkInputs.LayerInputs(BenchmarkInputs.NuScenesVoxels()).First(x => ShapeName(x.Layer) == Shape);
        _session = AcceleratorSession.Open(AcceleratorSession.ParseChoice(Accelerator));
        var accelerator = _session.Accelerator;
        _gemm = new GenericImplicitGemm(accelerator);
        _rows = Math.Min(Rows, map.OutputCount);
        int k = layer.Geometry.KernelVolume;
        var random = new Random(7);
        var features = new float[input.Count * layer.InChannels];
        var weights = new float[layer.OutChannels * k * layer.InChannels];
        for (int i = 0; i < features.Length; i++) features[i] = (float)random.NextDouble();
        for (int i = 0; i < weights.Length; i++) weights[i] = (float)(random.NextDouble() - 0.5);
        _features = accelerator.Allocate1D(features);
        _weights = accelerator.Allocate1D(weights);
        _bias = accelerator.Allocate1D(new float[layer.OutChannels]);
        _outIn = accelerator.Allocate1D(map.OutIn.AsSpan(0, _rows * k).ToArray());
        _output = accelerator.Allocate1D<float>(_rows * layer.OutChannels);
        _shape = new GemmShape { InChannels = layer.InChannels, OutChannels = layer.OutChannels, KernelVolume = k, HasBias = 1, Relu = 1 };
        long pairs = map.OutIn.AsSpan(0, _rows * k).ToArray().Count(r => r >= 0);
        Console.WriteLine($"// {Shape} on {_session.Description}: {_rows} of {map.OutputCount} rows, {pairs} pairs, " +
                          $"{pairs * (double)layer.InChannels * layer.OutChannels / 1e6:F2} MMAC per run");
        Run(); // compile
    }

    [Benchmark]
    public void Run()
    {
        _gemm.Launch(_session.Accelerator.DefaultStream, _features.View, _outIn.View, _weights.View, _bias.View, _output.View, _shape, _rows);
        _session.Accelerator.Synchronize();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var buffer in new MemoryBuffer[] { _features, _weights, _bias, _output, _outIn })
        {
            buffer.Dispose();
        }
        _session.Dispose();
    }
}
