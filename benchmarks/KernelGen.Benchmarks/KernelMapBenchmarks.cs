using BenchmarkDotNet.Attributes;
using KernelGen.Accelerators;
using KernelGen.KernelMaps;
using KernelGen.Tensors;

using KernelGen.Models.CenterPoint;
using KernelGen.Networks;
using KernelGen.Variants;

namespace KernelGen.Benchmarks;

/// <summary>
/// Kernel maps for all 21 convs of SpMiddleResNetFHD on the KITTI frame (nuScenes config), through a
/// <see cref="KernelMapCache"/> as a model run uses it: 21 requests, 8 distinct maps (one per SubM stage, one per
/// strided conv). Goal: ≤ 100 ms on the CPU of a 2-core machine.
/// </summary>
[MemoryDiagnoser]
public class KernelMapBenchmarks
{
    private AcceleratorSession _session = null!;
    private IlgpuKernelMapBuilder _ilgpu = null!;
    private IReadOnlyList<PlannedNode> _layers = null!;

    [GlobalSetup]
    public void Setup()
    {
        _layers = BenchmarkInputs.LayerInputs(BenchmarkInputs.NuScenesVoxels());
        _session = AcceleratorSession.Open(AcceleratorChoice.Cpu);
        _ilgpu = new IlgpuKernelMapBuilder(_session.Accelerator);
        AllLayers(_ilgpu); // compile the map kernels outside the measurement
    }

    [GlobalCleanup]
    public void Cleanup() => _session.Dispose();

    [Benchmark(Baseline = true, Description = "CPU hash map, 21 layers")]
    public int Cpu() => AllLayers(new CpuKernelMapBuilder());

    [Benchmark(Description = "ILGPU device hash table on the CPU accelerator, 21 layers")]
    public int IlgpuCpuAccelerator() => AllLayers(_ilgpu);

    private int AllLayers(IKernelMapBuilder builder)
    {
        var cache = new KernelMapCache(builder);
        int outputs = 0;
        foreach (var (node, layer, _, input) in _layers)
        {
            outputs += cache.GetOrBuild(node.IndiceKey, input, layer.Geometry).OutputCount;
        }
        return outputs;
    }
}
