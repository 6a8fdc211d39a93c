using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using KernelGen.Samples.CenterPoint;
using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Quantization;
using KernelGen.Tensors;
using KernelGen.Variants;

namespace KernelGen.Benchmarks;

/// <summary>
/// The whole SpMiddleResNetFHD backbone (21 convs, residual blocks) on the KITTI frame (nuScenes config, 59k voxels)
/// with the generated CPU SIMD variants the autotuner chose on this machine (the tuning cache, filled by the first
/// setup that needs it): fp32 and W8A8 + SmoothQuant (conv_input, with 5 input channels, stays fp32). Kernel maps and
/// tuning happen in the setup (timed apart, see <see cref="KernelMapBenchmarks"/>); the measured run is every conv in
/// sequence, as PyTorch's gather-GEMM-scatter peer measures it.
/// </summary>
public class BackboneBenchmarks
{
    [Params("fp32", "w8a8-smooth")]
    public string Precision { get; set; } = "fp32";

    private List<Step> _steps = null!;
    private SparseTensor _voxels = null!;

    /// <summary>One conv of the chain with everything it needs.</summary>
    private sealed record Step(string Name, KernelMap Map, bool ResidualFromBlockInput, bool StartsBlock, Action<SparseTensor, float[], float[]?> Run, long Macs);

    [GlobalSetup]
    public void Setup()
    {
        _voxels = BenchmarkInputs.NuScenesVoxels();
        var layers = BenchmarkInputs.LayerInputs(_voxels);
        var winners = TunedCpuVariants(_voxels);
        var random = new Random(11);
        _steps = [];
        SparseTensor? calibration = _voxels;
        float[]? blockInput = null;
        foreach (var (layer, input, map) in layers)
        {
            var generated = layer.Generated;
            var weights = FanIn(random, layer);
            bool startsBlock = layer.StartsBlock;
            bool residual = layer.AddsResidual;
            Action<SparseTensor, float[], float[]?> run;
            var f32 = (CpuF32Variant)winners[(generated.Name, KernelGen.Variants.Precision.F32)];
            var f32Weights = F32LayerWeights.From(weights);
            if (Precision == "fp32" || generated.Quantization != QuantMode.W8A8)
            {
                run = (x, output, res) => f32.Run(x, map, f32Weights, output, res);
            }
            else
            {
                // Calibrate on the frame itself: the fp32 chain's input to this layer gives the channel maxima.
                var int8 = (CpuW8A8Variant)winners[(generated.Name, KernelGen.Variants.Precision.W8A8)];
                var quantized = LayerQuantizer.Quantize(weights, LayerQuantizer.ChannelMaxima(calibration!.Features, layer.InChannels), QuantMethod.W8A8Smooth, 0.5);
                run = (x, output, res) => int8.Run(x, map, quantized, output, res);
            }
            long pairs = map.PairCount;
            _steps.Add(new Step(layer.Name, map, residual, startsBlock, run, pairs * layer.InChannels * layer.OutChannels));

            // Advance the fp32 calibration chain.
            var next = new float[map.OutputCount * layer.OutChannels];
            if (startsBlock)
            {
                blockInput = calibration!.Features;
            }
            f32.Run(calibration!, map, f32Weights, next, residual ? blockInput : null);
            calibration = new SparseTensor(next, map.OutputCoordinates, layer.OutChannels, map.OutputShape, map.BatchSize);
        }

        // Per-layer times of one warm run (Stopwatch; the benchmark's own numbers are the whole chain).
        RunBackbone();
        var clock = new Stopwatch();
        var x = _voxels;
        float[]? block = null;
        Console.WriteLine($"// per-layer ({Precision}):");
        foreach (var step in _steps)
        {
            var output = new float[step.Map.OutputCount * (int)(step.Macs == 0 ? 1 : step.Macs / Math.Max(1, step.Map.PairCount) / x.Channels)];
            if (step.StartsBlock)
            {
                block = x.Features;
            }
            clock.Restart();
            step.Run(x, output, step.ResidualFromBlockInput ? block : null);
            double ms = clock.Elapsed.TotalMilliseconds;
            int cout = output.Length / Math.Max(1, step.Map.OutputCount);
            Console.WriteLine($"//   {step.Name,-16} {ms,8:F1} ms  {step.Macs / 1e9,6:F2} GMAC  {step.Macs / 1e6 / Math.Max(ms, 1e-3),6:F1} GMAC/s");
            x = new SparseTensor(output, step.Map.OutputCoordinates, cout, step.Map.OutputShape, step.Map.BatchSize);
        }
        Console.WriteLine($"// total {_steps.Sum(s => s.Macs) / 1e9:F2} GMAC");
    }

    [Benchmark(Description = "SpMiddleResNetFHD, 21 convs")]
    public int RunBackbone()
    {
        var x = _voxels;
        float[]? block = null;
        foreach (var step in _steps)
        {
            int cout = (int)(step.Macs / Math.Max(1, step.Map.PairCount) / x.Channels);
            // Every element is written by the kernel's epilogue: no need to zero the buffer.
            var output = GC.AllocateUninitializedArray<float>(step.Map.OutputCount * cout);
            if (step.StartsBlock)
            {
                block = x.Features;
            }
            step.Run(x, output, step.ResidualFromBlockInput ? block : null);
            x = new SparseTensor(output, step.Map.OutputCoordinates, cout, step.Map.OutputShape, step.Map.BatchSize);
        }
        return x.Count;
    }

    /// <summary>The tuned variant of every layer group (a CPU SIMD one: the default choice if the tuner picked another).</summary>
    private static Dictionary<(string, KernelGen.Variants.Precision), KernelVariant> TunedCpuVariants(SparseTensor voxels)
    {
        using var session = KernelGen.Accelerators.AcceleratorSession.Open(KernelGen.Accelerators.AcceleratorChoice.Cpu);
        var tuner = new KernelGen.Tuning.LayerTuner(session.Accelerator, new KernelGen.Tuning.TuningCache(KernelGen.Tuning.TuningCache.DefaultPath()));
        var winners = new Dictionary<(string, KernelGen.Variants.Precision), KernelVariant>();
        foreach (var group in CenterPointTuning.Groups(voxels))
        {
            var result = tuner.Tune(group.Generated, group.Precision, group.Input, group.Map);
            var chosen = group.Generated.Variants.FirstOrDefault(v => v.Name == result.Winner && v.Shape == KernelShape.CpuSimd)
                ?? KernelGen.Tuning.DefaultVariantChoice.Pick(group.Generated, group.Precision, session.Accelerator)!;
            winners[(group.Generated.Name, group.Precision)] = chosen;
            Console.WriteLine($"// {group.Label} {group.Precision}: {chosen.Name}{(result.FromCache ? " (cached)" : "")}");
        }
        return winners;
    }

    private static ConvWeights FanIn(Random random, CenterPointLayers.Layer layer)
    {
        int k = layer.Geometry.KernelVolume;
        var data = new float[layer.OutChannels * k * layer.InChannels];
        double bound = Math.Sqrt(3) * Math.Sqrt(2.0 / (k * layer.InChannels));
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (float)((random.NextDouble() * 2 - 1) * bound);
        }
        return new ConvWeights(data, layer.OutChannels, layer.Geometry.Kernel, layer.InChannels,
            Enumerable.Range(0, layer.OutChannels).Select(_ => (float)(random.NextDouble() * 0.1)).ToArray());
    }
}
