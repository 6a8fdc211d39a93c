using ILGPU;
using ILGPU.Runtime;
using KernelGen.Accelerators;
using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Quantization;
using KernelGen.Tensors;
using KernelGen.Variants;

namespace KernelGen.Tuning;

/// <summary>
/// Tunes generated layers on an accelerator with their real inputs (sites and kernel map), through the cache: every
/// variant of the layer at the precision, plus the generic kernel as the fallback candidate. Big inputs are tuned on
/// an evenly spaced sample of output rows (<see cref="TuneRows"/>), probes on a smaller one (<see cref="ProbeRows"/>).
/// ILGPU candidates run on device-resident buffers; CPU SIMD candidates on the host arrays.
/// </summary>
public sealed class LayerTuner(Accelerator accelerator, TuningCache? cache = null, ITuningTimer? timer = null, TuningOptions? options = null)
{
    private readonly Autotuner _tuner = new(timer);
    private readonly GenericImplicitGemm _generic = new(accelerator);
    private readonly GenericW8A8ImplicitGemm _genericW8A8 = new(accelerator);

    /// <summary>Name of the generic kernel among the candidates.</summary>
    public const string GenericName = "Generic";

    /// <summary>Output rows the candidates are timed on (at most).</summary>
    public int TuneRows { get; init; } = 4096;

    /// <summary>Output rows of the probe run that may drop a candidate.</summary>
    public int ProbeRows { get; init; } = 64;

    /// <summary>Output rows of the untimed first run (compilation, first use).</summary>
    public int WarmRows { get; init; } = 4;

    /// <summary>
    /// The choice for <paramref name="layer"/> at <paramref name="precision"/> on these inputs: from the cache when it
    /// has the key (unless <paramref name="forceRetune"/>), else measured and stored.
    /// </summary>
    public TuningResult Tune(LayerDescriptor layer, Precision precision, SparseTensor input, KernelMap map, bool forceRetune = false)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(map);
        if (precision == Precision.W8A8 && layer.Quantization != QuantMode.W8A8)
        {
            throw new ArgumentException($"{layer.Name} has no W8A8 variants");
        }
        var key = TuningKey.For(layer, precision, DeviceNames.Of(accelerator), input.Count);
        if (!forceRetune && cache?.Find(key) is { } cached)
        {
            return cached;
        }
        using var session = new DeviceBuffers(accelerator);
        var candidates = Candidates(layer, precision, input, map, session);
        var result = _tuner.Tune(key, candidates, options);
        cache?.Store(result);
        return result;
    }

    private List<TuningCandidate> Candidates(LayerDescriptor layer, Precision precision, SparseTensor input, KernelMap map, DeviceBuffers buffers)
    {
        var random = new Random(1);
        int cin = layer.InChannels, cout = layer.OutChannels, k = layer.Geometry.KernelVolume;
        var weights = new ConvWeights(
            Enumerable.Range(0, cout * k * cin).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray(), cout, layer.Geometry.Kernel, cin,
            layer.HasBias ? new float[cout] : null);
        var warm = map.SelectRows(map.SampleRows(WarmRows));
        var probe = map.SelectRows(map.SampleRows(ProbeRows));
        var tune = map.SelectRows(map.SampleRows(TuneRows));
        var stream = accelerator.DefaultStream;
        var features = buffers.Copy(input.Features);
        var warmMap = buffers.Copy(warm.OutIn);
        var probeMap = buffers.Copy(probe.OutIn);
        var tuneMap = buffers.Copy(tune.OutIn);
        var output = buffers.Allocate<float>((long)tune.OutputCount * cout);
        var hostWarm = new float[warm.OutputCount * cout];
        var hostProbe = new float[probe.OutputCount * cout];
        var hostTune = new float[tune.OutputCount * cout];

        Action Sync(Action launch) => () =>
        {
            launch();
            accelerator.Synchronize();
        };
        var candidates = new List<(int Order, TuningCandidate Candidate)>();
        void Add(KernelVariant? variant, string name, Func<KernelMap, MemoryBuffer1D<int, Stride1D.Dense>, float[], Action> run)
        {
            string? unavailable = null;
            if (variant is not null && !variant.CanRun(accelerator, out var reason))
            {
                unavailable = reason;
            }
            candidates.Add((Order(variant), new TuningCandidate(
                name, unavailable, run(probe, probeMap, hostProbe), run(tune, tuneMap, hostTune), run(warm, warmMap, hostWarm))));
        }

        if (precision == Precision.F32)
        {
            var packed = F32LayerWeights.From(weights);
            var packedBuffer = buffers.Copy(packed.Packed);
            var bias = buffers.Copy(packed.Bias);
            var genericWeights = buffers.Copy(weights.Data);
            var shape = GenericImplicitGemm.ShapeOf(weights, layer.Activation);
            Add(null, GenericName, (m, buffer, _) =>
                Sync(() => _generic.Launch(stream, features.View, buffer.View, genericWeights.View, bias.View, output.View, shape, m.OutputCount)));
            foreach (var variant in layer.Variants.Where(v => v.Precision == Precision.F32))
            {
                switch (variant)
                {
                    case F32Variant gpu:
                        Add(gpu, gpu.Name, (m, buffer, _) =>
                            Sync(() => gpu.Launch(stream, features.View, buffer.View, packedBuffer.View, bias.View, output.View, m.OutputCount)));
                        break;
                    case CpuF32Variant cpu:
                        Add(cpu, cpu.Name, (m, _, host) => () => cpu.Run(input, m, packed, host));
                        break;
                }
            }
        }
        else
        {
            var quantized = LayerQuantizer.Quantize(weights, LayerQuantizer.ChannelMaxima(input.Features, cin),
                layer.SmoothQuant ? QuantMethod.W8A8Smooth : QuantMethod.W8A8, layer.Alpha);
            var packed = buffers.Copy(quantized.Packed);
            var multipliers = buffers.Copy(quantized.ActivationMultipliers);
            var dequantize = buffers.Copy(quantized.DequantizeScales);
            var bias = buffers.Copy(quantized.Bias);
            var output8 = buffers.Allocate<sbyte>(1);
            var bytes = buffers.Allocate<sbyte>(1);
            W8A8Shape Shape(int rows) => new()
            {
                InChannels = cin, InChannelWords = quantized.InChannelWords, OutChannels = cout, KernelVolume = k, HasBias = 1,
                Relu = layer.Activation == Activation.Relu ? 1 : 0, Elements = rows * cout,
            };
            Add(null, GenericName, (m, buffer, _) =>
                Sync(() => _genericW8A8.Launch(stream, features.View, bytes.View, buffer.View, packed.View, multipliers.View, dequantize.View,
                    bias.View, output.View, output.View, output8.View, multipliers.View, Shape(m.OutputCount))));
            foreach (var variant in layer.Variants.Where(v => v.Precision == Precision.W8A8))
            {
                switch (variant)
                {
                    case W8A8Variant gpu:
                        Add(gpu, gpu.Name, (m, buffer, _) =>
                            Sync(() => gpu.Launch(stream, features.View, buffer.View, packed.View, multipliers.View, dequantize.View, bias.View,
                                output.View, output8.View, m.OutputCount)));
                        break;
                    case CpuW8A8Variant cpu:
                        Add(cpu, cpu.Name, (m, _, host) => () => cpu.Run(input, m, quantized, host));
                        break;
                }
            }
        }
        return candidates.OrderBy(c => c.Order).Select(c => c.Candidate).ToList();
    }

    // Likely-fast candidates first, so the best probe is known early and slow ones are dropped after one probe.
    private int Order(KernelVariant? variant) => (variant?.Shape, accelerator.AcceleratorType) switch
    {
        (KernelShape.CpuSimd, _) => 0,
        (KernelShape.GpuStyle, AcceleratorType.Cuda) => 0,
        (KernelShape.BarrierFree, _) => 1,
        (null, _) => 2,
        _ => 3,
    };
}
