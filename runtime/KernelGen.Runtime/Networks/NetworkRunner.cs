using System.Diagnostics;
using ILGPU;
using ILGPU.Runtime;
using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Quantization;
using KernelGen.Tensors;
using KernelGen.Tuning;
using KernelGen.Variants;

namespace KernelGen.Networks;

/// <summary>One node of a planned network: its layer, kernel map and input sites.</summary>
/// <param name="Node">The description's node.</param>
/// <param name="Layer">Its generated layer.</param>
/// <param name="Map">Its kernel map (shared with the nodes of the same indice key).</param>
/// <param name="InputSites">The sites it reads (features unused: one zero channel), for tuning.</param>
public sealed record PlannedNode(NetworkNode Node, LayerDescriptor Layer, KernelMap Map, SparseTensor InputSites);

/// <summary>A network planned on one input: its voxels (the selected features) and every node's map.</summary>
/// <param name="Network">The validated network.</param>
/// <param name="Input">The network input [N, features].</param>
/// <param name="Nodes">Every node, in order.</param>
/// <param name="MapsBuilt">Distinct kernel maps built.</param>
/// <param name="MapsMs">Time to build them.</param>
public sealed record NetworkPlan(ValidatedNetwork Network, SparseTensor Input, IReadOnlyList<PlannedNode> Nodes, int MapsBuilt, double MapsMs);

/// <summary>The result of one run: the last node's output and, per node, the kernel that ran and its time.</summary>
/// <param name="Output">The last node's output.</param>
/// <param name="Nodes">Per node: name, kernel, precision, milliseconds.</param>
/// <param name="Outputs">Every node's output by name, when the run was asked to keep them (reports, tests); else empty.</param>
public sealed record NetworkRun(SparseTensor Output, IReadOnlyList<NodeRun> Nodes, IReadOnlyDictionary<string, SparseTensor> Outputs)
{
    /// <summary>Sum of the node times.</summary>
    public double TotalMs => Nodes.Sum(n => n.Ms);
}

/// <summary>One node's run.</summary>
public sealed record NodeRun(string Node, string Kernel, Precision Precision, double Ms);

/// <summary>
/// The one runner every caller uses (the main job, <c>kernelgen tune</c>/<c>run</c>, benchmarks, tests): plans a
/// validated network on an input (kernel maps through a cache keyed by indice key, sites carried once), tunes a kernel
/// per node use (nodes sharing layer, map and epilogue share one tuning), and runs it through the kernel contract.
/// A run keeps only the outputs a later node still reads (a residual source), so memory stays at a few layers'
/// activations; <c>keepOutputs</c> keeps them all for reports.
/// </summary>
public sealed class NetworkRunner(Accelerator accelerator) : IDisposable
{
    // Device-resident runs take their activation and rulebook buffers from here, so frames after the first reuse them.
    private readonly Accelerators.DeviceBufferPool<float> _activations = new(accelerator);
    private readonly Accelerators.DeviceBufferPool<int> _rulebooks = new(accelerator);
    private readonly Accelerators.DeviceBufferPool<sbyte> _int8Activations = new(accelerator);
    // Each ConvWeights is packed for the kernels once, not once per frame.
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<ConvWeights, LayerWeights> _prepared = new();

    /// <summary>The accelerator the ILGPU kernels run on (the CPU accelerator runs host SIMD kernels too).</summary>
    public Accelerator Accelerator { get; } = accelerator ?? throw new ArgumentNullException(nameof(accelerator));

    /// <summary>
    /// Where <see cref="Plan"/> builds kernel maps unless given a cache: on a GPU its hash-table builder
    /// (<see cref="IlgpuKernelMapBuilder"/>, the same maps exactly), so a frame's maps are built where its convs run; on the
    /// CPU accelerator the host builder, which is faster there than ILGPU's emulation of the device one.
    /// </summary>
    public IKernelMapBuilder MapBuilder => _mapBuilder.Value;

    private readonly Lazy<IKernelMapBuilder> _mapBuilder = new(() => accelerator.AcceleratorType == AcceleratorType.CPU
        ? new CpuKernelMapBuilder() : new IlgpuKernelMapBuilder(accelerator));

    /// <summary>
    /// Plans <paramref name="network"/> on <paramref name="voxels"/> (the voxelizer's output: x, y, z, intensity, time),
    /// selecting the network's input features.
    /// </summary>
    public NetworkPlan Plan(ValidatedNetwork network, SparseTensor voxels, KernelMapCache? maps = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(voxels);
        maps ??= new KernelMapCache(MapBuilder);
        var input = InputFeatures(network, voxels);
        var clock = Stopwatch.StartNew();
        var sitesOf = new Dictionary<string, SparseTensor>(StringComparer.Ordinal) { [SparseNetwork.InputName] = Sites(input) };
        var nodes = new List<PlannedNode>();
        int built = maps.Builds;
        for (int i = 0; i < network.Layers.Count; i++)
        {
            var node = network.Network.Nodes[i];
            var layer = network.Layers[i];
            var sites = sitesOf[node.From];
            var map = maps.GetOrBuild(node.IndiceKey, sites, layer.Geometry);
            map.EnsureOutputFits(layer.OutChannels);
            sitesOf[node.Name] = layer.Geometry.Kind == ConvKind.SubManifold
                ? sites
                : new SparseTensor(new float[map.OutputCount], map.OutputCoordinates, 1, map.OutputShape, map.BatchSize);
            nodes.Add(new PlannedNode(node, layer, map, sites));
        }
        return new NetworkPlan(network, input, nodes, maps.Builds - built, clock.Elapsed.TotalMilliseconds);
    }

    /// <summary>
    /// A kernel for every node at its precision under <paramref name="precision"/>: tuned through
    /// <paramref name="tuner"/>, once per (layer, kernel map, what the node needs of its kernel); <paramref name="onTuned"/>
    /// hears each tuning (for reports) and <paramref name="onNode"/> every node, tuned or sharing an earlier node's choice
    /// (for progress); <paramref name="forceRetune"/> measures again even where the cache has the key.
    /// </summary>
    public IReadOnlyList<IConvKernel> Tune(
        NetworkPlan plan, PrecisionPlan precision, LayerTuner tuner, Action<PlannedNode, KernelChoice>? onTuned = null,
        Action<PlannedNode>? onNode = null, bool forceRetune = false)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(precision);
        ArgumentNullException.ThrowIfNull(tuner);
        var random = new Random(3);
        var chosen = new Dictionary<(string, string, KernelNeeds), IConvKernel>();
        var kernels = new List<IConvKernel>();
        var allNeeds = precision.NeedsOf(plan);
        foreach (var (node, needs) in plan.Nodes.Zip(allNeeds))
        {
            var key = (node.Layer.Name, node.Node.IndiceKey, needs);
            if (!chosen.TryGetValue(key, out var kernel))
            {
                // Timing depends on sites and shapes, not values: random features on the node's input sites.
                var features = new float[node.InputSites.Count * node.Layer.InChannels];
                for (int i = 0; i < features.Length; i++)
                {
                    features[i] = (float)random.NextDouble();
                }
                var sample = new SparseTensor(features, node.InputSites.Coordinates, node.Layer.InChannels, node.InputSites.SpatialShape, node.InputSites.BatchSize);
                var choice = tuner.Tune(node.Layer, needs, sample, node.Map, forceRetune);
                onTuned?.Invoke(node, choice);
                kernel = chosen[key] = choice.Kernel;
            }
            kernels.Add(kernel);
            onNode?.Invoke(node);
        }
        return kernels;
    }

    /// <summary>The default kernel of every node (no tuning): <see cref="DefaultVariantChoice"/>.</summary>
    public IReadOnlyList<IConvKernel> Defaults(NetworkPlan plan, PrecisionPlan precision)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(precision);
        return plan.Nodes.Zip(precision.NeedsOf(plan)).Select(n => DefaultVariantChoice.Pick(n.First.Layer, n.Second, Accelerator)).ToList();
    }

    /// <summary>
    /// Runs the planned network with <paramref name="weights"/> (by node name) on <paramref name="kernels"/> (one per node,
    /// from <c>Tune</c> or <c>Defaults</c>) at <paramref name="precision"/>: static W8A8 scales (calibrated once) or dynamic
    /// ones taken from each node's own input (the int8 weights are made per run, outside the node times), fp32 for every
    /// node the plan does not make int8 or fp16. A kernel that lacks what its node needs (its precision, a residual) is
    /// refused, naming the node, the kernel and the feature.
    /// </summary>
    /// <remarks>
    /// <paramref name="deviceResident"/>: true keeps every activation in the accelerator's memory from node to node
    /// (<see cref="IConvKernel.Launch"/>; only the input, the kernel maps and the output cross to and from the host, and
    /// W8A8 scales come from per-channel maxima reduced on the device); false runs each node on host arrays
    /// (<see cref="IConvKernel.Run"/>). Null (the default) chooses device-resident on a GPU when every kernel runs on an
    /// accelerator, host arrays otherwise (the CPU accelerator, where the host kernels are the fast ones). Both give the
    /// same outputs.
    /// </remarks>
    public NetworkRun Run(
        NetworkPlan plan, IReadOnlyDictionary<string, ConvWeights> weights, IReadOnlyList<IConvKernel> kernels, PrecisionPlan precision,
        bool keepOutputs = false, bool? deviceResident = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(precision);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(kernels);
        if (kernels.Count != plan.Nodes.Count)
        {
            throw new ArgumentException($"{kernels.Count} kernels for {plan.Nodes.Count} nodes");
        }
        bool allOnAccelerator = kernels.All(k => k.Capabilities.Device == KernelDevice.AnyAccelerator);
        if (deviceResident == true && !allOnAccelerator)
        {
            var host = plan.Nodes.Zip(kernels).First(p => p.Second.Capabilities.Device != KernelDevice.AnyAccelerator);
            throw new ArgumentException($"node {host.First.Node.Name}: kernel {host.Second.Name} runs on the host, so the activations cannot stay on the device");
        }
        if (deviceResident ?? (allOnAccelerator && Accelerator.AcceleratorType != AcceleratorType.CPU))
        {
            return RunResident(plan, weights, kernels, precision, keepOutputs);
        }
        // The last node that reads each output: after it runs, the output can go.
        var lastUse = plan.Network.Network.LastReaders();
        // Int8 chaining (static scales): a chained node's output stays int8 (reports that keep every output get fp32).
        var allNeeds = keepOutputs ? plan.Nodes.Select(precision.NeedsOf).ToList() : precision.NeedsOf(plan, kernels);
        var live = new Dictionary<string, SparseTensor>(StringComparer.Ordinal) { [SparseNetwork.InputName] = plan.Input };
        var liveInt8 = new Dictionary<string, sbyte[]>(StringComparer.Ordinal);
        var kept = new Dictionary<string, SparseTensor>(StringComparer.Ordinal);
        var runs = new List<NodeRun>();
        SparseTensor last = plan.Input;
        for (int i = 0; i < plan.Nodes.Count; i++)
        {
            var (node, layer, map, _) = plan.Nodes[i];
            var kernel = kernels[i];
            var needs = allNeeds[i];
            var input = needs.Int8Input ? null : live[node.From];
            var prepared = Prepare(plan.Nodes[i], needs, kernel, weights, precision, () => LayerQuantizer.ChannelMaxima(input!.Features, layer.InChannels));
            // An int8 output is requantized into its readers' domain: any reader's multipliers (they share the scales).
            var reader = needs.Int8Output ? plan.Nodes.First(n => n.Node.From == node.Name) : null;
            var readerMultipliers = reader is null ? null
                : Prepare(reader, precision.NeedsOf(reader), null, weights, precision, () => throw new InvalidOperationException("chaining needs static scales")).Int8!.ActivationMultipliers;
            int elements = map.OutputCount * layer.OutChannels;
            var output = needs.Int8Output ? null : GC.AllocateUninitializedArray<float>(elements);
            var outputInt8 = needs.Int8Output ? GC.AllocateUninitializedArray<sbyte>(elements) : null;
            long start = Stopwatch.GetTimestamp();
            kernel.Run(Accelerator, new ConvCall
            {
                Map = map, Weights = prepared,
                Input = input?.Features, InputInt8 = needs.Int8Input ? liveInt8[node.From] : null,
                Output = output, OutputInt8 = outputInt8, OutputMultipliers = readerMultipliers,
                Residual = node.Residual is { } residual ? live[residual].Features : null,
            });
            runs.Add(new NodeRun(node.Name, kernel.Name, needs.Precision, Stopwatch.GetElapsedTime(start).TotalMilliseconds));
            if (outputInt8 is not null)
            {
                liveInt8[node.Name] = outputInt8;
            }
            else
            {
                last = new SparseTensor(output!, map.OutputCoordinates, layer.OutChannels, map.OutputShape, map.BatchSize);
                live[node.Name] = last;
                if (keepOutputs)
                {
                    kept[node.Name] = last;
                }
            }
            foreach (var name in live.Keys.Concat(liveInt8.Keys).Where(n => n != node.Name && lastUse.GetValueOrDefault(n, -1) <= i).ToList())
            {
                live.Remove(name);
                liveInt8.Remove(name);
            }
        }
        return new NetworkRun(last, runs, kept);
    }

    private NetworkRun RunResident(
        NetworkPlan plan, IReadOnlyDictionary<string, ConvWeights> weights, IReadOnlyList<IConvKernel> kernels, PrecisionPlan precision, bool keepOutputs)
    {
        var stream = Accelerator.DefaultStream;
        var lastUse = plan.Network.Network.LastReaders();
        // Int8 chaining as on the host path: a chained node writes int8 in its readers' domain into a device buffer a
        // quarter the size, and its readers gather those bytes (static scales; reports that keep every output get fp32).
        var allNeeds = keepOutputs ? plan.Nodes.Select(precision.NeedsOf).ToList() : precision.NeedsOf(plan, kernels);
        // The rulebooks travel once per kernel map (nodes sharing an indice key share the map).
        var outIns = new Dictionary<KernelMap, MemoryBuffer1D<int, Stride1D.Dense>>(ReferenceEqualityComparer.Instance);
        var inputBuffer = _activations.Rent(plan.Input.Features.Length);
        inputBuffer.View.SubView(0, plan.Input.Features.Length).CopyFromCPU(stream, plan.Input.Features);
        var live = new Dictionary<string, MemoryBuffer1D<float, Stride1D.Dense>>(StringComparer.Ordinal) { [SparseNetwork.InputName] = inputBuffer };
        var liveInt8 = new Dictionary<string, MemoryBuffer1D<sbyte, Stride1D.Dense>>(StringComparer.Ordinal);
        var kept = new Dictionary<string, SparseTensor>(StringComparer.Ordinal);
        var runs = new List<NodeRun>();
        SparseTensor? last = null;
        try
        {
            for (int i = 0; i < plan.Nodes.Count; i++)
            {
                var (node, layer, map, _) = plan.Nodes[i];
                var kernel = kernels[i];
                var needs = allNeeds[i];
                long inputElements = Math.Max(1, (long)map.InputCount * layer.InChannels);
                ArrayView<float>? input = needs.Int8Input ? null : live[node.From].View.SubView(0, inputElements);
                ArrayView<sbyte>? inputInt8 = needs.Int8Input ? liveInt8[node.From].View.SubView(0, inputElements) : null;
                // Dynamic scales from this input's per-channel maxima, reduced on the device: Cin floats come back.
                var prepared = Prepare(plan.Nodes[i], needs, kernel, weights, precision, () => map.InputCount == 0
                    ? new float[layer.InChannels]
                    : DeviceChannelMaxima.For(Accelerator).Compute(stream, input!.Value, layer.InChannels));
                prepared.OnDevice(Accelerator); // uploaded outside the node's time, as the host path quantizes outside it
                // An int8 output is requantized into its readers' domain: any reader's multipliers (they share the scales),
                // from that reader's weights on the device.
                var reader = needs.Int8Output ? plan.Nodes.First(n => n.Node.From == node.Name) : null;
                ArrayView<float>? readerMultipliers = reader is null ? null
                    : Prepare(reader, precision.NeedsOf(reader), null, weights, precision, () => throw new InvalidOperationException("chaining needs static scales"))
                        .OnDevice(Accelerator).ActivationMultipliers;
                if (!outIns.TryGetValue(map, out var outIn))
                {
                    outIn = outIns[map] = _rulebooks.Rent(map.OutIn.Length);
                    outIn.View.SubView(0, map.OutIn.Length).CopyFromCPU(stream, map.OutIn);
                }
                int elements = map.OutputCount * layer.OutChannels;
                var outputView = Math.Max(1, elements);
                ArrayView<float>? output = null;
                ArrayView<sbyte>? outputInt8 = null;
                if (needs.Int8Output)
                {
                    var buffer = _int8Activations.Rent(elements);
                    liveInt8[node.Name] = buffer;
                    outputInt8 = buffer.View.SubView(0, outputView);
                }
                else
                {
                    var buffer = _activations.Rent(elements);
                    live[node.Name] = buffer;
                    output = buffer.View.SubView(0, outputView);
                }
                stream.Synchronize();
                long start = Stopwatch.GetTimestamp();
                kernel.Launch(stream, new DeviceConvCall
                {
                    Map = map,
                    OutIn = outIn.View.SubView(0, Math.Max(1, (long)map.OutputCount * map.KernelVolume)),
                    Weights = prepared,
                    Input = input,
                    InputInt8 = inputInt8,
                    Output = output,
                    OutputInt8 = outputInt8,
                    OutputMultipliers = readerMultipliers,
                    Residual = node.Residual is { } residual ? live[residual].View.SubView(0, outputView) : null,
                });
                stream.Synchronize();
                runs.Add(new NodeRun(node.Name, kernel.Name, needs.Precision, Stopwatch.GetElapsedTime(start).TotalMilliseconds));
                bool isLast = i == plan.Nodes.Count - 1;
                if (output is { } written && (keepOutputs || isLast))
                {
                    var features = new float[elements];
                    written.SubView(0, elements).CopyToCPU(stream, features);
                    stream.Synchronize();
                    last = new SparseTensor(features, map.OutputCoordinates, layer.OutChannels, map.OutputShape, map.BatchSize);
                    if (keepOutputs)
                    {
                        kept[node.Name] = last;
                    }
                }
                foreach (var name in live.Keys.Concat(liveInt8.Keys).Where(n => n != node.Name && lastUse.GetValueOrDefault(n, -1) <= i).ToList())
                {
                    if (live.Remove(name, out var floats))
                    {
                        _activations.Return(floats);
                    }
                    if (liveInt8.Remove(name, out var bytes))
                    {
                        _int8Activations.Return(bytes);
                    }
                }
            }
        }
        finally
        {
            stream.Synchronize(); // nothing may still read a buffer that the next frame takes
            foreach (var buffer in live.Values)
            {
                _activations.Return(buffer);
            }
            foreach (var buffer in liveInt8.Values)
            {
                _int8Activations.Return(buffer);
            }
            foreach (var buffer in outIns.Values)
            {
                _rulebooks.Return(buffer);
            }
        }
        return new NetworkRun(last ?? plan.Input, runs, kept);
    }

    /// <summary>
    /// What both run paths do before a node's kernel runs: check that the kernel covers the node's needs (the precision
    /// a node runs at is the one need a call cannot show; the contract refuses a missing residual itself), find its
    /// weights, and quantize them when the node runs int8 (its input's <paramref name="channelMaxima"/> only for
    /// dynamic scales).
    /// </summary>
    private LayerWeights Prepare(
        PlannedNode node, KernelNeeds needs, IConvKernel? kernel, IReadOnlyDictionary<string, ConvWeights> weights, PrecisionPlan precision, Func<float[]> channelMaxima)
    {
        if (kernel is not null && !kernel.Capabilities.Covers(needs, out var missing))
        {
            throw new ArgumentException($"node {node.Node.Name}: kernel {kernel.Name} does not support {missing}");
        }
        if (!weights.TryGetValue(node.Node.Name, out var conv))
        {
            throw new ArgumentException($"node {node.Node.Name}: no weights");
        }
        var prepared = _prepared.GetValue(conv, w => new LayerWeights(w));
        return needs.Precision == Precision.W8A8 ? prepared.Quantized(precision.QuantizationOf(node, conv, channelMaxima)) : prepared;
    }

    /// <summary>Device buffers the device-resident runs keep for later frames (activations, fp32 and int8, and rulebooks).</summary>
    public int DeviceBuffersAllocated => _activations.Allocated + _int8Activations.Allocated + _rulebooks.Allocated;

    /// <summary>Of those, the int8 activation buffers: the outputs of nodes chained in int8 on the device.</summary>
    public int DeviceInt8BuffersAllocated => _int8Activations.Allocated;

    /// <summary>Frees the device buffers kept for later frames.</summary>
    public void Dispose()
    {
        _activations.Dispose();
        _int8Activations.Dispose();
        _rulebooks.Dispose();
    }

    private static SparseTensor Sites(SparseTensor input) =>
        new(new float[input.Count], input.Coordinates, 1, input.SpatialShape, input.BatchSize);

    /// <summary>The network's input: the voxel feature channels its description reads (e.g. x, y, z, intensity of five).</summary>
    public static SparseTensor InputFeatures(ValidatedNetwork network, SparseTensor voxels)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(voxels);
        var channels = network.FeatureChannels;
        if (channels.Any(c => c >= voxels.Channels))
        {
            throw new ArgumentException($"the network reads voxel channel {channels.Max()} but the voxels have {voxels.Channels}");
        }
        if (channels.SequenceEqual(Enumerable.Range(0, voxels.Channels)))
        {
            return voxels;
        }
        var features = new float[voxels.Count * channels.Count];
        for (int row = 0; row < voxels.Count; row++)
        {
            for (int j = 0; j < channels.Count; j++)
            {
                features[row * channels.Count + j] = voxels.Features[row * voxels.Channels + channels[j]];
            }
        }
        return new SparseTensor(features, voxels.Coordinates, channels.Count, voxels.SpatialShape, voxels.BatchSize);
    }
}
