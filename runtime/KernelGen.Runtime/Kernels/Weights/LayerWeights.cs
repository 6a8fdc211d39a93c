using KernelGen.Quantization;

namespace KernelGen.Kernels;

/// <summary>
/// One layer's weights as every kernel needs them, prepared once: the fp32 weights in spconv's layout, their packing
/// for the generated fp32 kernels, and — when the layer runs in W8A8 — the int8 weights quantized with the layer's
/// <see cref="LayerQuantization"/> (static activation scale s_x and optional SmoothQuant factors).
/// </summary>
public sealed class LayerWeights
{
    private readonly Lazy<F32LayerWeights> _packed;
    private readonly Lazy<F16LayerWeights> _half;
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<ILGPU.Runtime.Accelerator, DeviceLayerWeights> _onDevice = new();

    /// <summary>fp32 weights only.</summary>
    public LayerWeights(ConvWeights weights)
    {
        Float = weights ?? throw new ArgumentNullException(nameof(weights));
        _packed = new(() => F32LayerWeights.From(weights));
        _half = new(() => F16LayerWeights.From(weights));
    }

    // The quantized copies share the fp32 packing: it is made once however often a layer is re-quantized.
    private LayerWeights(LayerWeights fp32, LayerQuantization quantization, W8A8LayerWeights int8)
    {
        Float = fp32.Float;
        _packed = fp32._packed;
        _half = fp32._half;
        Quantization = quantization;
        Int8 = int8;
    }

    /// <summary>The fp32 weights [Cout, kD, kH, kW, Cin] and bias.</summary>
    public ConvWeights Float { get; }

    /// <summary>The fp32 weights packed [K, Cin, Cout] for the generated kernels (packed on first use).</summary>
    internal F32LayerWeights Packed => _packed.Value;

    /// <summary>The weights rounded to fp16 and packed for the fp16 kernels (on first use).</summary>
    internal F16LayerWeights Half => _half.Value;

    /// <summary>Why these weights cannot run in fp16 (a weight beyond ±65504), or null; found once.</summary>
    internal string? BeyondFp16 => _beyondFp16 ??= Fp16Range.FirstBeyond(Float.Data, Float.Data.Length) is { } beyond
        ? Fp16Range.Beyond("weight", beyond.Value, F16LayerWeights.WeightIndex(Float, beyond.Channel)) : "";

    private string? _beyondFp16;

    /// <summary>The scales the int8 weights were made with, or null for an fp32-only layer.</summary>
    public LayerQuantization? Quantization { get; }

    /// <summary>The int8 weights, scales and packing, or null for an fp32-only layer.</summary>
    internal W8A8LayerWeights? Int8 { get; }

    /// <summary>Cin.</summary>
    public int InChannels => Float.InChannels;

    /// <summary>Cout.</summary>
    public int OutChannels => Float.OutChannels;

    /// <summary>
    /// The same fp32 weights, also quantized to int8 with <paramref name="quantization"/>. The most recent
    /// <see cref="KeptQuantizations"/> results are kept: with static scales every frame asks for the same quantization
    /// (equal by value) and gets the same int8 weights — their CPU packings and device copies included — instead of
    /// quantizing, packing and uploading them again; a caller that alternates plans (the main job runs naive, SmoothQuant
    /// and the policy's scales in turn) keeps one per plan. With only the last one kept, each alternation re-quantized,
    /// and the packing, done lazily on the kernel's first call, landed inside the node's measured time (#22).
    /// </summary>
    public LayerWeights Quantized(LayerQuantization quantization)
    {
        ArgumentNullException.ThrowIfNull(quantization);
        lock (_quantized)
        {
            int found = _quantized.FindIndex(q => quantization.Equals(q.Quantization));
            if (found >= 0)
            {
                var hit = _quantized[found];
                _quantized.RemoveAt(found);
                _quantized.Insert(0, hit);
                return hit;
            }
        }
        var quantized = new LayerWeights(this, quantization, quantization.Apply(Float));
        lock (_quantized)
        {
            _quantized.Insert(0, quantized);
            if (_quantized.Count > KeptQuantizations)
            {
                _quantized.RemoveAt(_quantized.Count - 1);
            }
        }
        return quantized;
    }

    /// <summary>How many distinct quantizations <see cref="Quantized(LayerQuantization)"/> keeps (most recently used first).</summary>
    public const int KeptQuantizations = 8;

    private readonly List<LayerWeights> _quantized = [];

    /// <summary>The same fp32 weights with int8 weights already quantized from them (e.g. by <see cref="LayerQuantizer"/>).</summary>
    internal LayerWeights Quantized(W8A8LayerWeights int8)
    {
        ArgumentNullException.ThrowIfNull(int8);
        if (int8.InChannels != InChannels || int8.OutChannels != OutChannels || int8.KernelVolume != Float.Kernel.Product)
        {
            throw new ArgumentException($"int8 weights [Cout={int8.OutChannels}, K={int8.KernelVolume}, Cin={int8.InChannels}] do not match the fp32 weights [Cout={OutChannels}, K={Float.Kernel.Product}, Cin={InChannels}]");
        }
        return new(this, new LayerQuantization(
            int8.ActivationScale, int8.Smoothing, BiasCorrection: int8.BiasCorrection, RoundedWeights: int8.HessianRounded ? int8.Quantized : null,
            Format: int8.Format), int8);
    }

    /// <summary>These weights in <paramref name="accelerator"/>'s memory, uploaded on the first call and reused after.</summary>
    internal DeviceLayerWeights OnDevice(ILGPU.Runtime.Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        return _onDevice.GetValue(accelerator, a => new DeviceLayerWeights(a, this));
    }

    /// <summary>The int8 weights, or an <see cref="ArgumentException"/> naming the kernel that needed them.</summary>
    internal W8A8LayerWeights RequireInt8(string kernelName) =>
        Int8 ?? throw new ArgumentException($"{kernelName} runs W8A8 but the layer's weights were not quantized (LayerWeights.Quantized)");
}
