using ILGPU.Runtime;
using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Tensors;
using KernelGen.Tuning;

namespace KernelGen.Networks;

/// <summary>
/// The one runner every caller uses (the main job, <c>kernelgen tune</c>/<c>run</c>, benchmarks, tests): plans a
/// validated network on an input (<see cref="NetworkPlanner"/>), tunes a kernel per node use
/// (<see cref="NetworkTuner"/>), and runs it through the kernel contract on host arrays
/// (<see cref="HostExecutor"/>) or device-resident (<see cref="DeviceResidentExecutor"/>), both from one
/// <see cref="NodePreparation"/>. A run keeps only the outputs a later node still reads (a residual source), so memory
/// stays at a few layers' activations; <c>keepOutputs</c> keeps them all for reports.
/// </summary>
public sealed class NetworkRunner : IDisposable
{
    private readonly DeviceResidentExecutor _resident;
    // Each ConvWeights is packed for the kernels once, not once per frame.
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<ConvWeights, LayerWeights> _prepared = new();
    private readonly Lazy<IKernelMapBuilder> _mapBuilder;
    private readonly Lazy<Points.DeviceVoxelizer?> _deviceVoxelizer;

    // The last frame's voxels as the device voxelizer left them: its plan's maps and its run's input start from them.
    private Points.DeviceVoxels? _frame;

    /// <summary>A runner on <paramref name="accelerator"/>.</summary>
    public NetworkRunner(Accelerator accelerator)
        : this(accelerator, deviceFrame: false)
    {
    }

    /// <summary>
    /// A runner; <paramref name="deviceFrame"/> voxelizes and builds maps on the device even on ILGPU's CPU accelerator
    /// (tests of the GPU's frame path; on a GPU the runner always does).
    /// </summary>
    internal NetworkRunner(Accelerator accelerator, bool deviceFrame)
    {
        Accelerator = accelerator ?? throw new ArgumentNullException(nameof(accelerator));
        _resident = new DeviceResidentExecutor(accelerator);
        bool onDevice = deviceFrame || accelerator.AcceleratorType != AcceleratorType.CPU;
        _mapBuilder = new(() => onDevice ? new IlgpuKernelMapBuilder(accelerator) : new CpuKernelMapBuilder());
        _deviceVoxelizer = new(() => onDevice ? new Points.DeviceVoxelizer(accelerator) : null);
    }

    /// <summary>The accelerator the ILGPU kernels run on (the CPU accelerator runs host SIMD kernels too).</summary>
    public Accelerator Accelerator { get; }

    /// <summary>
    /// Where <see cref="Plan"/> builds kernel maps unless given a cache: on a GPU its hash-table builder
    /// (<see cref="IlgpuKernelMapBuilder"/>, the same maps exactly), so a frame's maps are built where its convs run; on the
    /// CPU accelerator the host builder, which is faster there than ILGPU's emulation of the device one.
    /// </summary>
    public IKernelMapBuilder MapBuilder => _mapBuilder.Value;

    /// <summary>
    /// Where <see cref="Voxelize"/> voxelizes: on a GPU the device voxelizer (<see cref="DeviceVoxelizer"/>, the same
    /// voxels exactly), so a frame starts where its convs run; null on the CPU accelerator, where the host voxelizer is
    /// the faster one.
    /// </summary>
    public Points.DeviceVoxelizer? DeviceVoxelizer => _deviceVoxelizer.Value;

    /// <summary>
    /// <paramref name="network"/>'s voxels of <paramref name="cloud"/> (<see cref="ValidatedNetwork.Voxelize(Points.PointCloud, Points.VoxelConfig?)"/>) made by
    /// this runner's voxelizer: on the device on a GPU, on the host on the CPU accelerator.
    /// </summary>
    /// <remarks>
    /// On the device the voxels also stay where they were made, until the next frame's: <see cref="Plan"/> on these voxels
    /// builds the first maps from their coordinates there, and a device-resident <see cref="Run"/> of that plan takes
    /// its input features there (when the network reads the voxelizer's channels as they are), so a frame's voxels are
    /// not uploaded again. The returned tensor is the host copy; like every tensor handed to the runner, it is not
    /// changed afterwards.
    /// </remarks>
    public SparseTensor Voxelize(ValidatedNetwork network, Points.PointCloud cloud, Points.VoxelConfig? config = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (DeviceVoxelizer is not { } device)
        {
            return network.Voxelize(cloud, config);
        }
        Points.DeviceVoxels? kept = null;
        try
        {
            var voxels = network.Voxelize(cloud, config, (scan, voxelConfig) => device.Voxelize([scan], voxelConfig, out kept));
            (_frame, var previous) = (kept, _frame);
            previous?.Dispose();
            kept = null;
            return voxels;
        }
        finally
        {
            kept?.Dispose(); // the voxelizer's buffers when the scan had no voxel in range
        }
    }

    /// <summary>
    /// Plans <paramref name="network"/> on <paramref name="voxels"/> (the voxelizer's output: x, y, z, intensity, time),
    /// selecting the network's input features.
    /// </summary>
    public NetworkPlan Plan(ValidatedNetwork network, SparseTensor voxels, KernelMapCache? maps = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(voxels);
        maps ??= new KernelMapCache(MapBuilder);
        // _frame is the newest frame's, disposed only when replaced: an older frame's voxels are uploaded as before.
        if (_frame is { } frame && frame.HoldsSitesOf(voxels))
        {
            maps.KnowSites(voxels, frame.Coordinates); // this frame's voxels are on the device: their maps start there
        }
        return NetworkPlanner.Plan(network, voxels, maps);
    }

    /// <summary>
    /// Plans <paramref name="network"/> on <paramref name="input"/> that already holds the network's input features, one
    /// channel per description feature (voxels from another pipeline, <see cref="Tensors.VoxelFiles"/>).
    /// </summary>
    public NetworkPlan PlanInput(ValidatedNetwork network, SparseTensor input, KernelMapCache? maps = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(input);
        return NetworkPlanner.Plan(network, input, maps ?? new KernelMapCache(MapBuilder), inputFeatures: true);
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
        return NetworkTuner.Tune(plan, precision, tuner, onTuned, onNode, forceRetune);
    }

    /// <summary>The default kernel of every node (no tuning): <see cref="DefaultVariantChoice"/>.</summary>
    public IReadOnlyList<IConvKernel> Defaults(NetworkPlan plan, PrecisionPlan precision)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(precision);
        return NetworkTuner.Defaults(plan, precision, Accelerator);
    }

    /// <summary>
    /// Runs the planned network with <paramref name="weights"/> (by node name) on <paramref name="kernels"/> (one per node,
    /// from <c>Tune</c> or <c>Defaults</c>) at <paramref name="precision"/>: static W8A8 scales (calibrated once) or dynamic
    /// ones taken from each node's own input (the int8 weights are made per run, outside the node times), fp32 for every
    /// node the plan does not make int8 or fp16. Before any node runs, every node's weights are bound (packed once per
    /// <see cref="ConvWeights"/> and kept for later frames) and every kernel is checked against what its node needs: a
    /// missing weight or a kernel that lacks its node's precision is refused, naming the node (and the kernel and feature).
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
        var nodes = new NodePreparation(plan, Bind(plan, weights), kernels, precision, keepOutputs);
        // The device voxelizer's features of this frame, when they are the network's input as they are.
        var deviceInput = _frame is { } frame && frame.HoldsFeatures(plan.Input.Features) ? frame.Features.View : (ILGPU.ArrayView<float>?)null;
        return deviceResident ?? (allOnAccelerator && Accelerator.AcceleratorType != AcceleratorType.CPU)
            ? _resident.Run(nodes, keepOutputs, deviceInput)
            : HostExecutor.Run(Accelerator, nodes, keepOutputs);
    }

    /// <summary>Each node's weights, packed for the kernels (once per <see cref="ConvWeights"/> object, then reused).</summary>
    private IReadOnlyList<LayerWeights> Bind(NetworkPlan plan, IReadOnlyDictionary<string, ConvWeights> weights) =>
        plan.Nodes.Select(node => weights.TryGetValue(node.Node.Name, out var conv)
            ? _prepared.GetValue(conv, w => new LayerWeights(w))
            : throw new ArgumentException($"node {node.Node.Name}: no weights")).ToList();

    /// <summary>Rulebooks the device-resident runs uploaded from the host (a map the device builder made needs none on its first run).</summary>
    internal int RulebookUploads => _resident.RulebookUploads;

    /// <summary>Node outputs the device-resident runs wrote as fp16 tensors (between fp16 nodes).</summary>
    internal int HalfOutputs => _resident.HalfOutputs;

    /// <summary>Device buffers the device-resident runs keep for later frames (activations, fp32 and int8, and rulebooks).</summary>
    public int DeviceBuffersAllocated => _resident.BuffersAllocated;

    /// <summary>Of those, the int8 activation buffers: the outputs of nodes chained in int8 on the device.</summary>
    public int DeviceInt8BuffersAllocated => _resident.Int8BuffersAllocated;

    /// <summary>Input features the device-resident runs uploaded from the host (none for a frame the device voxelizer made, when the network reads its channels as they are).</summary>
    internal int InputUploads => _resident.InputUploads;

    /// <summary>Frees the device buffers kept for later frames.</summary>
    public void Dispose()
    {
        _resident.Dispose();
        _frame?.Dispose();
        _frame = null;
    }
}
