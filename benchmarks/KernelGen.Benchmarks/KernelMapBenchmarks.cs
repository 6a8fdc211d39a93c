using BenchmarkDotNet.Attributes;
using KernelGen.KernelMaps;
using KernelGen.Models;
using KernelGen.Networks;
using KernelGen.Points;
using KernelGen.Tensors;

namespace KernelGen.Benchmarks;

/// <summary>
/// The front end of a frame on the shared KITTI frame, per built-in model: voxelizing the scan (the model's own voxel
/// config: CenterPoint nuScenes, 59,006 voxels; SECOND KITTI, 42,570) and every distinct kernel map of the network,
/// planned as a run plans them (CenterPoint: 21 convs, 8 maps; SECOND: 12 convs, 8 maps). Goal (#34): voxelize + maps
/// at most 25 % of the int8 network's time; <c>kernelgen run</c> reports the same split per frame.
/// </summary>
[MemoryDiagnoser]
public class KernelMapBenchmarks
{
    [Params("centerpoint", "second")]
    public string Model { get; set; } = "centerpoint";

    private ValidatedNetwork _network = null!;
    private PointCloud _cloud = null!;
    private SparseTensor _voxels = null!;
    private readonly CpuKernelMapBuilder _cpu = new();

    [GlobalSetup]
    public void Setup()
    {
        _network = BuiltInModels.Load(Model);
        _cloud = BenchmarkInputs.KittiFrameCloud();
        _voxels = _network.Voxelize(_cloud);
        Console.WriteLine($"// {Model}: {_cloud.Count} points → {_voxels.Count} voxels; maps:");
        foreach (var map in Maps(_cpu).Maps)
        {
            Console.WriteLine($"//   {map.Key,-14} {map.Kind,-12} {map.Method,-12} {map.SitesIn,7} → {map.SitesOut,7} sites, {map.Pairs,8} pairs, {map.LookupsPerSite:F1} lookups/site");
        }
    }

    [Benchmark(Description = "voxelize")]
    public int Voxelize() => _network.Voxelize(_cloud).Count;

    [Benchmark(Baseline = true, Description = "all maps (CPU builder)")]
    public int CpuMaps() => Maps(_cpu).Nodes.Count;

    [Benchmark(Description = "voxelize + all maps")]
    public int FrontEnd() => NetworkPlanner.Plan(_network, _network.Voxelize(_cloud), new KernelMapCache(_cpu)).Nodes.Count;

    private NetworkPlan Maps(IKernelMapBuilder builder) => NetworkPlanner.Plan(_network, _voxels, new KernelMapCache(builder));
}

/// <summary>
/// Each distinct kernel map of both built-in models on the shared KITTI frame, built alone by the CPU builder from the
/// sites the plan gives it: the per-map table of docs/BENCHMARKS.md (#34), before and after.
/// </summary>
[MemoryDiagnoser]
public class KernelMapPerMapBenchmarks
{
    [Params(
        "centerpoint res0", "centerpoint spconv2", "centerpoint res1", "centerpoint spconv3", "centerpoint res2", "centerpoint spconv4",
        "centerpoint res3", "centerpoint extra", "second subm1", "second spconv2", "second subm2", "second spconv3", "second subm3",
        "second spconv4", "second subm4", "second spconv_down2")]
    public string Map { get; set; } = "centerpoint res0";

    private SparseTensor _sites = null!;
    private ConvGeometry _geometry = null!;
    private readonly CpuKernelMapBuilder _builder = new();

    [GlobalSetup]
    public void Setup()
    {
        var (model, key) = (Map.Split(' ')[0], Map.Split(' ')[1]);
        var network = BuiltInModels.Load(model);
        var voxels = network.Voxelize(BenchmarkInputs.KittiFrameCloud());
        var node = NetworkPlanner.Plan(network, voxels, new KernelMapCache(_builder)).Nodes.First(n => n.Node.IndiceKey == key);
        (_sites, _geometry) = (node.InputSites, node.Layer.Geometry);
    }

    [Benchmark]
    public int Build() => _builder.Build(_sites, _geometry).OutputCount;
}
