using BenchmarkDotNet.Attributes;
using KernelGen.Accelerators;
using KernelGen.Kernels;
using KernelGen.Networks;
using KernelGen.Quantization;
using KernelGen.Tensors;
using KernelGen.Tuning;
using KernelGen.Variants;

namespace KernelGen.Benchmarks;

/// <summary>
/// The whole SpMiddleResNetFHD backbone (21 convs, residual blocks) on the KITTI frame (nuScenes config, 59k voxels),
/// through the <see cref="NetworkRunner"/> with the kernels the autotuner chose on this machine (the tuning cache,
/// filled by the first setup that needs it): fp32, naive W8A8 and W8A8 + SmoothQuant with static scales (α = 0.5 for SmoothQuant, calibrated on
/// the frame; every conv, conv_input's 5 signed channels included since session 4). Weights: the synthetic ones. Kernel maps and tuning
/// happen in the setup (timed apart, see <see cref="KernelMapBenchmarks"/>); the measured run is every conv in
/// sequence, as PyTorch's gather-GEMM-scatter peer measures it.
/// </summary>
public class BackboneBenchmarks
{
    [Params("fp32", "w8a8-naive", "w8a8-smooth")]
    public string Precision { get; set; } = "fp32";

    private AcceleratorSession _session = null!;
    private NetworkRunner _runner = null!;
    private NetworkPlan _plan = null!;
    private IReadOnlyDictionary<string, ConvWeights> _weights = null!;
    private IReadOnlyList<IConvKernel> _kernels = null!;
    private PrecisionPlan _precision = PrecisionPlan.F32;

    [GlobalSetup]
    public void Setup()
    {
        var network = BenchmarkInputs.CenterPoint;
        _session = AcceleratorSession.Open(AcceleratorChoice.Cpu);
        _runner = new NetworkRunner(_session.Accelerator);
        _plan = _runner.Plan(network, BenchmarkInputs.NuScenesVoxels());
        _weights = NetworkWeights.Synthetic(network);
        var tuner = new LayerTuner(_session.Accelerator, new TuningCache(TuningCache.DefaultPath()));
        var fp32Kernels = _runner.Tune(_plan, PrecisionPlan.F32, tuner);
        _kernels = fp32Kernels;
        if (Precision is "w8a8-naive" or "w8a8-smooth")
        {
            // Calibrate on the frame: each int8 node's fp32 input gives its channel maxima.
            var fp32 = _runner.Run(_plan, _weights, fp32Kernels, PrecisionPlan.F32, keepOutputs: true);
            var scales = _plan.Nodes.Where(n => n.Layer.HasW8A8).ToDictionary(n => n.Node.Name, n =>
            {
                var input = n.Node.From == SparseNetwork.InputName ? _plan.Input : fp32.Outputs[n.Node.From];
                return LayerQuantization.Calibrate(_weights[n.Node.Name], LayerQuantizer.ChannelMaxima(input.Features, input.Channels), Precision == "w8a8-smooth" && n.Layer.SmoothQuant, 0.5);
            });
            _precision = PrecisionPlan.Static(scales);
            _kernels = _runner.Tune(_plan, _precision, tuner);
        }

        // Per-node times of one warm run (Stopwatch; the benchmark's own numbers are the whole chain).
        var run = _runner.Run(_plan, _weights, _kernels, _precision);
        Console.WriteLine($"// per-node ({Precision}):");
        for (int i = 0; i < _plan.Nodes.Count; i++)
        {
            var node = _plan.Nodes[i];
            double gmac = node.Map.PairCount * (double)node.Layer.InChannels * node.Layer.OutChannels / 1e9;
            Console.WriteLine($"//   {node.Node.Name,-16} {run.Nodes[i].Ms,8:F1} ms  {gmac,6:F2} GMAC  {gmac * 1e3 / Math.Max(run.Nodes[i].Ms, 1e-3),6:F1} GMAC/s  {run.Nodes[i].Kernel}");
        }
        Console.WriteLine($"// total {_plan.Nodes.Sum(n => n.Map.PairCount * (double)n.Layer.InChannels * n.Layer.OutChannels) / 1e9:F2} GMAC");
    }

    [Benchmark(Description = "SpMiddleResNetFHD, 21 convs")]
    public int RunBackbone() => _runner.Run(_plan, _weights, _kernels, _precision).Output.Count;

    [GlobalCleanup]
    public void Cleanup()
    {
        _runner.Dispose();
        _session.Dispose();
    }
}
