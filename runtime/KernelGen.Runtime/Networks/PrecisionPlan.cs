using KernelGen.Kernels;
using KernelGen.Variants;

namespace KernelGen.Networks;

/// <summary>
/// What each node of a network runs at: fp32, fp16 (every layer with fp16 kernels), or W8A8 with scales that are either
/// <b>static</b> (given per node, e.g. calibrated once on a calibration set: the deployable form) or <b>dynamic</b>
/// (taken from each node's own input on every run, as <c>kernelgen run --quant</c> does). The runner, the tuner and the
/// defaults read it node by node.
/// </summary>
public sealed class PrecisionPlan
{
    private readonly IReadOnlyDictionary<string, LayerQuantization>? _static;
    // Without static scales: the precision of every node whose layer has kernels of it, and whether dynamic W8A8 smooths.
    private readonly Precision _everyCapableNode;
    private readonly bool _smoothQuant;

    private PrecisionPlan(IReadOnlyDictionary<string, LayerQuantization>? staticScales, Precision everyCapableNode, bool smoothQuant, string name)
    {
        _static = staticScales;
        _everyCapableNode = everyCapableNode;
        _smoothQuant = smoothQuant;
        Name = name;
    }

    /// <summary>Every node in fp32.</summary>
    public static PrecisionPlan F32 { get; } = new(null, Precision.F32, false, "fp32");

    /// <summary>Every node whose layer has fp16 kernels in fp16 (operands rounded to fp16, fp32 sums and tensors), the others fp32.</summary>
    public static PrecisionPlan F16 { get; } = new(null, Precision.F16, false, "fp16");

    /// <summary>
    /// Every node whose layer has W8A8 kernels in W8A8 with scales from its own input on every run (dynamic), with
    /// SmoothQuant factors where <paramref name="smoothQuant"/> and the layer fuses them (at the layer's alpha); the
    /// others fp32.
    /// </summary>
    public static PrecisionPlan DynamicW8A8(bool smoothQuant) => smoothQuant ? DynamicSmooth : DynamicNaive;

    private static readonly PrecisionPlan DynamicNaive = new(null, Precision.W8A8, false, "w8a8");
    private static readonly PrecisionPlan DynamicSmooth = new(null, Precision.W8A8, true, "w8a8-smooth");

    /// <summary>The names <see cref="Parse"/> takes, as the CLI's <c>--quant</c> lists them.</summary>
    public const string Names = "fp32, fp16, w8a8 or w8a8-smooth";

    /// <summary>
    /// The plan a CLI's <c>--quant</c> names: fp32, fp16, w8a8 (dynamic scales) or w8a8-smooth (dynamic scales and
    /// SmoothQuant); an <see cref="ArgumentException"/> naming the value otherwise.
    /// </summary>
    public static PrecisionPlan Parse(string name) => name switch
    {
        "fp32" => F32,
        "fp16" => F16,
        "w8a8" => DynamicNaive,
        "w8a8-smooth" => DynamicSmooth,
        _ => throw new ArgumentException($"--quant must be {Names}, got '{name}'"),
    };

    /// <summary>
    /// The nodes named in <paramref name="int8Nodes"/> in W8A8 with those static scales (naive: no smoothing factors;
    /// SmoothQuant: the factors), every other node in <paramref name="elsewhere"/>: fp32, or fp16 where the node's layer
    /// has fp16 kernels (fp32 otherwise) — e.g. the layers a recipe keeps out of int8, in fp16 on a GPU.
    /// </summary>
    public static PrecisionPlan Static(IReadOnlyDictionary<string, LayerQuantization> int8Nodes, Precision elsewhere = Precision.F32)
    {
        ArgumentNullException.ThrowIfNull(int8Nodes);
        if (elsewhere is not (Precision.F32 or Precision.F16))
        {
            throw new ArgumentException($"the nodes a static plan leaves out of int8 run fp32 or fp16, not {elsewhere}");
        }
        return new(new Dictionary<string, LayerQuantization>(int8Nodes, StringComparer.Ordinal), elsewhere, false,
            $"static ({int8Nodes.Count} int8 nodes{(elsewhere == Precision.F16 ? ", fp16 elsewhere" : "")})");
    }

    /// <summary>
    /// The precision the plan gives the nodes it does not leave fp32: F32 for <see cref="F32"/>, F16 for
    /// <see cref="F16"/>, W8A8 for dynamic and static int8 plans.
    /// </summary>
    public Precision TargetPrecision => _static is null ? _everyCapableNode : Precision.W8A8;

    /// <summary>Whether dynamic W8A8 takes SmoothQuant factors (static plans carry theirs in each node's scales).</summary>
    public bool SmoothQuant => _smoothQuant;

    /// <summary>What the plan is, in the CLI's words (fp32, fp16, w8a8, w8a8-smooth) or "static (N int8 nodes)".</summary>
    public string Name { get; }

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>Whether <paramref name="node"/> runs in W8A8.</summary>
    public bool IsInt8(PlannedNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return _static is null
            ? _everyCapableNode == Precision.W8A8 && node.Layer.HasW8A8
            : _static.ContainsKey(node.Node.Name);
    }

    /// <summary>The arithmetic <paramref name="node"/> runs at under this plan.</summary>
    public Precision PrecisionOf(PlannedNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        // Static plans keep their float precision in _everyCapableNode too (F32, or F16 for a recipe on a GPU).
        return IsInt8(node) ? Precision.W8A8
            : _everyCapableNode == Precision.F16 && node.Layer.HasF16 ? Precision.F16
            : Precision.F32;
    }

    /// <summary>What <paramref name="node"/> needs of its kernel under this plan, on its own (fp32 in and out).</summary>
    public KernelNeeds NeedsOf(PlannedNode node) => new(PrecisionOf(node), Residual: node.Node.Residual is not null);

    /// <summary>
    /// What every node of <paramref name="plan"/> needs of its kernel, int8 chaining included: with static scales, a
    /// node whose output is read only as the input of int8 nodes with the same scales — not as a residual, not as the
    /// network's output — writes int8 already quantized into their domain (its epilogue requantizes per channel with
    /// their multipliers m_c = 1 / (s_c · s_x)), and they read it without a quantize pass. The int8 values are exactly the
    /// ones the readers' prologue would have made from the fp32 output, so chaining changes no result, only the bytes
    /// moved. Dynamic scales come from the fp32 input itself, so dynamic plans do not chain.
    /// <para>Without <paramref name="kernels"/> (tuning, defaults) a node chains where some kernel of its layer can; with
    /// the kernels chosen for the run, only where those can (a generic kernel, or one tuned for unchained use, hands its
    /// readers fp32) — one decision, made once per run.</para>
    /// </summary>
    public IReadOnlyList<KernelNeeds> NeedsOf(NetworkPlan plan, IReadOnlyList<IConvKernel>? kernels = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (kernels is not null && kernels.Count != plan.Nodes.Count)
        {
            throw new ArgumentException($"{kernels.Count} kernels for {plan.Nodes.Count} nodes");
        }
        bool CanDo(int node, KernelNeeds needs) => kernels is null
            ? plan.Nodes[node].Layer.Kernels.Any(k => k.Capabilities.Covers(needs, out _))
            : kernels[node].Capabilities.Covers(needs, out _);
        var needs = plan.Nodes.Select(NeedsOf).ToList();
        if (_static is null)
        {
            return needs;
        }
        var nodes = plan.Nodes;
        for (int i = 0; i < nodes.Count - 1; i++)
        {
            string name = nodes[i].Node.Name;
            var readers = Enumerable.Range(0, nodes.Count).Where(r => nodes[r].Node.From == name).ToList();
            bool chains = readers.Count > 0
                && !nodes.Any(n => n.Node.Residual == name)
                && readers.All(r => IsInt8(nodes[r]))
                && readers.Select(r => ForKernelsOf(nodes[r].Layer, _static[nodes[r].Node.Name])).Distinct().Count() == 1
                && CanDo(i, needs[i] with { Int8Output = true })
                && readers.All(r => CanDo(r, needs[r] with { Int8Input = true }));
            if (chains)
            {
                needs[i] = needs[i] with { Int8Output = true };
                foreach (int r in readers)
                {
                    needs[r] = needs[r] with { Int8Input = true };
                }
            }
        }
        return needs;
    }

    /// <summary>
    /// The scales of an int8 node: the static ones, or, dynamic, from <paramref name="channelMaxima"/> of its input
    /// (called only then), in u8 where <paramref name="nonNegativeInput"/> (the node reads a ReLU's output), s8
    /// elsewhere. Naive W8A8 on a layer whose kernels fuse SmoothQuant gets factors of one, which leave activations and
    /// weights as they are (x / 1, W · 1): the same numbers as a kernel without the smoothing prologue. Static u8 scales
    /// on a node whose input can be negative are refused: its negative values would clamp to 0 without a word.
    /// </summary>
    public LayerQuantization QuantizationOf(PlannedNode node, ConvWeights weights, Func<float[]> channelMaxima, bool nonNegativeInput)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(channelMaxima);
        var layer = node.Layer;
        LayerQuantization quantization;
        if (_static is null)
        {
            quantization = LayerQuantization.Calibrate(weights, channelMaxima(), _smoothQuant && layer.SmoothQuant, layer.Alpha,
                Quantization.ActivationFormats.For(nonNegativeInput));
        }
        else
        {
            quantization = _static.TryGetValue(node.Node.Name, out var given) ? given
                : throw new ArgumentException($"node {node.Node.Name}: the precision plan gives it no int8 scales");
            if (!layer.HasW8A8)
            {
                throw new ArgumentException($"node {node.Node.Name}: the precision plan makes it int8 but {layer.Name} has no W8A8 kernels");
            }
            if (quantization.Smoothing is not null && !layer.SmoothQuant)
            {
                throw new ArgumentException($"node {node.Node.Name}: the precision plan gives SmoothQuant factors but {layer.Name} has no SmoothQuant kernels");
            }
            if (quantization.Format == ActivationFormat.U8 && !nonNegativeInput)
            {
                throw new ArgumentException(
                    $"node {node.Node.Name}: the precision plan codes its activations u8, but its input ({node.Node.From}) is not the output of a ReLU and can be negative");
            }
        }
        return ForKernelsOf(layer, quantization);
    }

    /// <summary>
    /// <paramref name="quantization"/> in the form <paramref name="layer"/>'s kernels take: naive scales on a layer whose
    /// kernels fuse SmoothQuant get factors of one (the same numbers as no smoothing).
    /// </summary>
    public static LayerQuantization ForKernelsOf(LayerDescriptor layer, LayerQuantization quantization)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(quantization);
        return layer.SmoothQuant && quantization.Smoothing is null
            ? quantization with { Smoothing = Enumerable.Repeat(1f, layer.InChannels).ToArray() }
            : quantization;
    }
}
