using KernelGen.Accelerators;
using ILGPU;
using ILGPU.Runtime;
using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Quantization;
using KernelGen.Tensors;
using KernelGen.Variants;

namespace KernelGen.Tuning;

/// <summary>
/// Tunes generated layers on an accelerator with their real inputs (sites and kernel map), through the cache: every
/// kernel of the layer that declares what the use needs (<see cref="KernelNeeds"/>) — generated variants of every family
/// and the generic kernel, all through <see cref="IConvKernel.Run"/> — and hands back the winning kernel. Big inputs are
/// tuned on a sample of output rows in evenly spaced runs of consecutive rows (<see cref="TuneRows"/>,
/// <see cref="SampleRunRows"/>), probes on a smaller one (<see cref="ProbeRows"/>). A cached winner that is not a kernel of the layer any more, or whose candidate set has
/// changed, is re-tuned with a warning, never silently replaced.
/// </summary>
public sealed class LayerTuner(Accelerator accelerator, TuningCache? cache = null, ITuningTimer? timer = null, TuningOptions? options = null)
{
    private readonly Autotuner _tuner = new(timer);

    /// <summary>
    /// Consecutive output rows per run of the timing samples: runs keep the neighbourhood structure of the full map
    /// (rows of a register tile share offsets and gather nearby inputs), so a sample costs what the same rows cost in
    /// the full run.
    /// </summary>
    public int SampleRunRows { get; init; } = 64;

    /// <summary>Output rows the candidates are timed on (at most).</summary>
    public int TuneRows { get; init; } = 4096;

    /// <summary>Output rows of the probe run that may drop a candidate.</summary>
    public int ProbeRows { get; init; } = 64;

    /// <summary>Output rows of the untimed first run (compilation, first use).</summary>
    public int WarmRows { get; init; } = 4;

    /// <summary>The choice for <paramref name="layer"/> at <paramref name="precision"/> (no residual, fp32 in and out).</summary>
    public KernelChoice Tune(LayerDescriptor layer, Precision precision, SparseTensor input, KernelMap map, bool forceRetune = false) =>
        Tune(layer, new KernelNeeds(precision), input, map, forceRetune);

    /// <summary>
    /// The kernel for <paramref name="layer"/> used with <paramref name="needs"/> on these inputs: from the cache when it
    /// has the key and the cached winner is still a candidate (unless <paramref name="forceRetune"/>), else measured
    /// and stored.
    /// </summary>
    public KernelChoice Tune(LayerDescriptor layer, KernelNeeds needs, SparseTensor input, KernelMap map, bool forceRetune = false)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(needs);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(map);
        var kernels = layer.KernelsFor(needs).ToList();
        if (kernels.Count == 0)
        {
            throw new ArgumentException($"{layer.Name} has no kernel for {needs.Text}" + (needs.Precision == Precision.W8A8 && !layer.HasW8A8 ? " (the layer has no [Quantize(Precision.W8A8)])" : ""));
        }
        var key = TuningKey.For(layer, needs, DeviceNames.Of(accelerator), input.Count);
        string? warning = null;
        if (!forceRetune && cache?.Find(key) is { } cached)
        {
            var kernel = layer.FindKernel(cached.Winner);
            var names = kernels.Select(k => k.Name).Order(StringComparer.Ordinal);
            if (kernel is null || !kernels.Contains(kernel))
            {
                warning = $"the tuning cache names '{cached.Winner}' for {layer.Name} ({needs.Text}), which is not one of its kernels any more; re-tuning";
            }
            else if (!names.SequenceEqual(cached.Trials.Select(t => t.Name).Order(StringComparer.Ordinal)))
            {
                warning = $"the candidate kernels of {layer.Name} ({needs.Text}) changed since it was tuned; re-tuning";
            }
            else if (!kernel.CanRun(accelerator, out var reason))
            {
                warning = $"the cached winner {kernel.Name} of {layer.Name} cannot run here ({reason}); re-tuning";
            }
            else
            {
                return new KernelChoice(kernel, cached);
            }
        }
        // On a GPU the accelerator kernels are timed as the runner runs them there: on device-resident tensors.
        using var resident = accelerator.AcceleratorType == AcceleratorType.CPU ? null : new DeviceBuffers(accelerator);
        var candidates = Candidates(layer, kernels, needs, input, map, resident);
        var result = _tuner.Tune(key, candidates, options);
        if (cache is not null)
        {
            // A cache that cannot be written says so once, through the choice that found out.
            int known = cache.Warnings.Count;
            cache.Store(result);
            if (cache.Warnings.Count > known)
            {
                warning = warning is null ? cache.Warnings[^1] : $"{warning}; {cache.Warnings[^1]}";
            }
        }
        return new KernelChoice(kernels.Single(k => k.Name == result.Winner), result, warning);
    }

    private List<TuningCandidate> Candidates(
        LayerDescriptor layer, List<IConvKernel> kernels, KernelNeeds needs, SparseTensor input, KernelMap map, DeviceBuffers? resident)
    {
        var random = new Random(1);
        int cin = layer.InChannels, cout = layer.OutChannels, k = layer.Geometry.KernelVolume;
        var weights = new LayerWeights(new ConvWeights(
            Enumerable.Range(0, cout * k * cin).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray(), cout, layer.Geometry.Kernel, cin,
            layer.HasBias ? new float[cout] : null));
        if (needs.Precision == Precision.W8A8)
        {
            weights = weights.Quantized(LayerQuantization.FromInput(weights.Float, input.Features, layer.SmoothQuant, layer.Alpha));
        }
        var inputInt8 = needs.Int8Input ? new sbyte[input.Features.Length] : null;
        var multipliers = needs.Int8Output ? Enumerable.Repeat(1f, cout).ToArray() : null;
        ConvCall Call(KernelMap rows) => new()
        {
            Map = rows,
            Weights = weights,
            Input = needs.Int8Input ? null : input.Features,
            InputInt8 = inputInt8,
            Residual = needs.Residual ? new float[rows.OutputCount * cout] : null,
            Output = needs.Int8Output ? null : new float[rows.OutputCount * cout],
            OutputInt8 = needs.Int8Output ? new sbyte[rows.OutputCount * cout] : null,
            OutputMultipliers = multipliers,
        };
        var warm = Call(map.SelectRows(map.SampleRows(WarmRows, SampleRunRows)));
        var probe = Call(map.SelectRows(map.SampleRows(ProbeRows, Math.Clamp(ProbeRows / 4, 1, SampleRunRows))));
        var tune = Call(map.SelectRows(map.SampleRows(TuneRows, SampleRunRows)));
        var (warmOnDevice, probeOnDevice, tuneOnDevice) = resident is null ? default : (HostCall.Upload(warm, resident), HostCall.Upload(probe, resident), HostCall.Upload(tune, resident));
        return kernels
            .OrderBy(Order)
            .Select(kernel =>
            {
                // The CPU accelerator runs tensor-core kernels by emulating the instruction (so tests check them there),
                // far slower than any other kernel: not worth a probe.
                string? reason = kernel.Shape == KernelShape.TensorCore && accelerator.AcceleratorType == AcceleratorType.CPU
                    ? "tensor cores are emulated on the CPU accelerator (for tests), never a fast choice there"
                    : kernel.CanRun(accelerator, out var why) ? null : why;
                if (resident is not null && kernel.Capabilities.Device == KernelDevice.AnyAccelerator)
                {
                    var stream = accelerator.DefaultStream;
                    return new TuningCandidate(kernel.Name, reason,
                        () => { kernel.Launch(stream, probeOnDevice!); stream.Synchronize(); },
                        () => { kernel.Launch(stream, tuneOnDevice!); stream.Synchronize(); },
                        () => { kernel.Launch(stream, warmOnDevice!); stream.Synchronize(); });
                }
                return new TuningCandidate(kernel.Name, reason,
                    () => kernel.Run(accelerator, probe), () => kernel.Run(accelerator, tune), () => kernel.Run(accelerator, warm));
            })
            .ToList();
    }

    // Likely-fast candidates first, so the best probe is known early and slow ones are dropped after one probe: CPU SIMD
    // kernels (and GPU-style and tensor-core ones on CUDA), then barrier-free, then generic, and GPU-style kernels on ILGPU's CPU
    // accelerator (each group thread an OS thread) last.
    private int Order(IConvKernel kernel) => (kernel.Shape, accelerator.AcceleratorType) switch
    {
        (KernelShape.CpuSimd, _) => 0,
        (KernelShape.GpuStyle or KernelShape.TensorCore, AcceleratorType.Cuda) => 0,
        (KernelShape.BarrierFree, _) => 1,
        (KernelShape.Generic, _) => 2,
        _ => 3,
    };
}
