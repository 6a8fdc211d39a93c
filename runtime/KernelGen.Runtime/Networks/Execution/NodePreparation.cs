using KernelGen.Kernels;

namespace KernelGen.Networks;

/// <summary>
/// What both executors know before the first node runs, decided once per run: what each node needs of its kernel (int8
/// chaining included), that its kernel covers it (the precision a node runs at is the one need a call cannot show; the
/// contract refuses a missing residual itself), each node's weights bound from the run's weights, and, for a node that
/// writes int8, the reader whose multipliers requantize its output.
/// </summary>
internal sealed class NodePreparation
{
    private readonly IReadOnlyList<LayerWeights> _weights;
    private readonly PrecisionPlan _precision;
    private readonly int?[] _reader;

    public NodePreparation(NetworkPlan plan, IReadOnlyList<LayerWeights> weights, IReadOnlyList<IConvKernel> kernels, PrecisionPlan precision, bool keepOutputs)
    {
        Plan = plan;
        Kernels = kernels;
        _weights = weights;
        _precision = precision;
        // Int8 chaining (static scales): a chained node's output stays int8 (reports that keep every output get fp32).
        Needs = keepOutputs ? plan.Nodes.Select(precision.NeedsOf).ToList() : precision.NeedsOf(plan, kernels);
        _reader = new int?[plan.Nodes.Count];
        for (int i = 0; i < plan.Nodes.Count; i++)
        {
            if (!kernels[i].Capabilities.Covers(Needs[i], out var missing))
            {
                throw new ArgumentException($"node {plan.Nodes[i].Node.Name}: kernel {kernels[i].Name} does not support {missing}");
            }
            if (Needs[i].Int8Output)
            {
                string name = plan.Nodes[i].Node.Name;
                _reader[i] = Enumerable.Range(0, plan.Nodes.Count).First(r => plan.Nodes[r].Node.From == name);
            }
        }
    }

    public NetworkPlan Plan { get; }

    /// <summary>
    /// Per node, whether it writes its output as an fp16 tensor on the device: it runs fp16 on a kernel that takes fp16
    /// tensors, so does every node that reads its output (as input or residual), and it is not the network's output.
    /// Between such nodes half the bytes are gathered; the values are the ones the fp16 kernels round their operands to
    /// anyway (the output, a residual included, is rounded once more).
    /// </summary>
    public IReadOnlyList<bool> HalfOutputs()
    {
        var half = new bool[Plan.Nodes.Count];
        bool HalfKernel(int i) => Needs[i].Precision == Precision.F16 && !Needs[i].Int8Input && !Needs[i].Int8Output && Kernels[i].Capabilities.HalfTensors;
        for (int i = 0; i < Plan.Nodes.Count - 1; i++)
        {
            string name = Plan.Nodes[i].Node.Name;
            var readers = Enumerable.Range(0, Plan.Nodes.Count).Where(r => Plan.Nodes[r].Node.From == name || Plan.Nodes[r].Node.Residual == name).ToList();
            half[i] = HalfKernel(i) && readers.Count > 0 && readers.All(HalfKernel);
        }
        return half;
    }

    public IReadOnlyList<IConvKernel> Kernels { get; }

    /// <summary>Per node, what it needs of its kernel in this run.</summary>
    public IReadOnlyList<KernelNeeds> Needs { get; }

    /// <summary>
    /// Node <paramref name="node"/>'s weights at its precision: fp32, or quantized with its scales — static, or from its
    /// input's <paramref name="channelMaxima"/> (called only for dynamic scales).
    /// </summary>
    public LayerWeights WeightsOf(int node, Func<float[]> channelMaxima)
    {
        var weights = _weights[node];
        var planned = Plan.Nodes[node];
        return Needs[node].Precision == Precision.W8A8
            ? weights.Quantized(_precision.QuantizationOf(planned, weights.Float, channelMaxima, Plan.Network.HasNonNegativeInput(planned.Node.Name)))
            : weights;
    }

    /// <summary>
    /// For a node that writes int8: the weights of one of its readers, whose multipliers m_c = 1 / (s_c · s_x) and
    /// activation format requantize the output into the readers' domain (they share the scales); null for a node that
    /// writes fp32.
    /// </summary>
    public LayerWeights? ReaderWeightsOf(int node) => _reader[node] is { } reader
        ? WeightsOf(reader, () => throw new InvalidOperationException("chaining needs static scales"))
        : null;
}
