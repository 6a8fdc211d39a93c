using BenchmarkDotNet.Attributes;
using KernelGen.Accelerators;
using KernelGen.KernelMaps;
using KernelGen.Quantization;
using KernelGen.Models.CenterPoint;
using KernelGen.Samples.CenterPoint;
using KernelGen.Tensors;
using KernelGen.Tuning;
using KernelGen.Variants;

namespace KernelGen.Benchmarks;

/// <summary>
/// The whole SpMiddleResNetFHD backbone (21 convs, residual blocks) on the KITTI frame (nuScenes config, 59k voxels),
/// run by the sample's <see cref="CenterPointBackbone"/> with the generated CPU SIMD variants the autotuner chose on this
/// machine (the tuning cache, filled by the first setup that needs it): fp32, and W8A8 + SmoothQuant (α = 0.5,
/// calibrated on the frame; conv_input, with 5 input channels, stays fp32). Weights: the sample's synthetic ones. Kernel
/// maps and tuning happen in the setup (timed apart, see <see cref="KernelMapBenchmarks"/>); the measured run is every
/// conv in sequence, as PyTorch's gather-GEMM-scatter peer measures it.
/// </summary>
public class BackboneBenchmarks
{
    [Params("fp32", "w8a8-smooth")]
    public string Precision { get; set; } = "fp32";

    private AcceleratorSession _session = null!;
    private CenterPointBackbone _backbone = null!;
    private List<LayerPlan> _plans = null!;
    private SparseTensor _voxels = null!;
    private bool _int8;

    [GlobalSetup]
    public void Setup()
    {
        _voxels = BenchmarkInputs.NuScenesVoxels();
        _session = AcceleratorSession.Open(AcceleratorChoice.Cpu);
        var maps = new KernelMapCache(new CpuKernelMapBuilder());
        _plans = CenterPointBackbone.Plan(_voxels, KernelGen.Networks.NetworkWeights.Synthetic(CenterPointLayers.Network), maps);
        _backbone = new CenterPointBackbone(_session.Accelerator);

        // The tuned kernel of every layer group, as the main job runs it.
        var tuner = new LayerTuner(_session.Accelerator, new TuningCache(TuningCache.DefaultPath()));
        var winners = new Dictionary<(string, KernelGen.Variants.Precision, bool), KernelGen.Kernels.IConvKernel>();
        foreach (var group in CenterPointTuning.Groups(_voxels, maps))
        {
            winners[(group.Generated.Name, group.Precision, group.Residual)] = tuner.Tune(group.Generated, group.Needs, group.Input, group.Map).Kernel;
        }
        foreach (var plan in _plans)
        {
            plan.Fp32 = winners[(plan.Layer.Generated.Name, KernelGen.Variants.Precision.F32, plan.Layer.AddsResidual)];
            plan.Int8 = winners.GetValueOrDefault((plan.Layer.Generated.Name, KernelGen.Variants.Precision.W8A8, plan.Layer.AddsResidual));
        }

        // Calibrate on the frame: each int8 layer's fp32 input gives its channel maxima.
        _int8 = Precision == "w8a8-smooth";
        var fp32 = _backbone.Run(_voxels, _plans, int8: false);
        for (int i = 0; _int8 && i < _plans.Count; i++)
        {
            if (_plans[i].Int8 is null)
            {
                continue;
            }
            var input = i == 0 ? _voxels : fp32.Outputs[i - 1];
            _plans[i].Quantized = LayerQuantizer.Quantize(_plans[i].Weights, LayerQuantizer.ChannelMaxima(input.Features, input.Channels), QuantMethod.W8A8Smooth, 0.5);
            _plans[i].Method = QuantMethod.W8A8Smooth;
        }

        // Per-layer times of one warm run (Stopwatch; the benchmark's own numbers are the whole chain).
        var run = _backbone.Run(_voxels, _plans, _int8);
        Console.WriteLine($"// per-layer ({Precision}):");
        for (int i = 0; i < _plans.Count; i++)
        {
            var plan = _plans[i];
            double gmac = plan.Map.PairCount * (double)plan.Layer.InChannels * plan.Layer.OutChannels / 1e9;
            Console.WriteLine($"//   {plan.Layer.Name,-16} {run.LayerMs[i],8:F1} ms  {gmac,6:F2} GMAC  {gmac * 1e3 / Math.Max(run.LayerMs[i], 1e-3),6:F1} GMAC/s  {plan.VariantName(_int8)}");
        }
        Console.WriteLine($"// total {_plans.Sum(p => p.Map.PairCount * (double)p.Layer.InChannels * p.Layer.OutChannels) / 1e9:F2} GMAC");
    }

    [Benchmark(Description = "SpMiddleResNetFHD, 21 convs")]
    public int RunBackbone() => _backbone.Run(_voxels, _plans, _int8).Outputs[^1].Count;

    [GlobalCleanup]
    public void Cleanup() => _session.Dispose();
}
