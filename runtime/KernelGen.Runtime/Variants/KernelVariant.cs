using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;
using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Tensors;
using KernelGen.__Internals;

namespace KernelGen.Variants;

/// <summary>
/// One generated kernel: a tile shape, a precision and a kernel shape. GPU-style variants launch a 2-D grid of
/// <see cref="GroupSize"/>-thread groups (one group per BlockM × BlockN output tile); barrier-free variants launch a
/// grid-stride loop over work items of <see cref="RowsPerThread"/> × <see cref="ChannelsPerThread"/> outputs.
/// Kernels are loaded once per accelerator.
/// </summary>
public abstract class KernelVariant : IConvKernel
{
    private readonly ConditionalWeakTable<Accelerator, Dictionary<int, object>> _loaded = new();
    private LayerDescriptor? _layer;
    private KernelCapabilities? _capabilities;

    /// <summary>Describes a variant (called by generated code).</summary>
    protected KernelVariant(
        string name, TileShape tile, Precision precision, KernelShape shape, int outChannels,
        int groupSize, int sharedMemoryBytes, int rowsPerThread, int channelsPerThread, AsyncPipeline? pipeline = null)
    {
        Name = name;
        Tile = tile;
        Precision = precision;
        Shape = shape;
        OutChannels = outChannels;
        GroupSize = groupSize;
        SharedMemoryBytes = sharedMemoryBytes;
        RowsPerThread = rowsPerThread;
        ChannelsPerThread = channelsPerThread;
        Pipeline = pipeline;
    }

    /// <summary>Name with the shape visible, e.g. <c>W8A8_Tile128x64x32_Smooth_GpuStyle</c>.</summary>
    public string Name { get; }

    /// <summary>The tile.</summary>
    public TileShape Tile { get; }

    /// <summary>fp32, fp16 or W8A8.</summary>
    public Precision Precision { get; }

    /// <summary>GPU-style, barrier-free or tensor-core (the CPU SIMD variants: CpuSimd).</summary>
    public KernelShape Shape { get; }

    /// <summary>Cout of the layer.</summary>
    public int OutChannels { get; }

    /// <summary>Threads per group (GPU-style).</summary>
    public int GroupSize { get; }

    /// <summary>Shared memory per group, bytes: static, plus a pipelined kernel's dynamic stages (0 for barrier-free).</summary>
    public int SharedMemoryBytes { get; }

    /// <summary>
    /// A tensor-core kernel that gathers through a <c>cp.async</c> pipeline: its stages and their dynamic shared memory
    /// (<see cref="TileAttribute.AsyncStages"/>); null for a kernel that gathers through registers.
    /// </summary>
    public AsyncPipeline? Pipeline { get; }

    /// <summary>Output rows per thread's register tile.</summary>
    public int RowsPerThread { get; }

    /// <summary>Output channels per thread's register tile.</summary>
    public int ChannelsPerThread { get; }

    /// <summary>The layer this variant was generated for (set when the layer's descriptor is created).</summary>
    public LayerDescriptor Layer => _layer ?? throw new InvalidOperationException($"{Name} is not part of a LayerDescriptor");

    /// <inheritdoc />
    public KernelCapabilities Capabilities => _capabilities ??= Declare(Layer);

    /// <summary>Called once by <see cref="LayerDescriptor"/>: the variant belongs to <paramref name="layer"/>.</summary>
    internal void AttachTo(LayerDescriptor layer)
    {
        if (_layer is not null && !ReferenceEquals(_layer, layer))
        {
            throw new InvalidOperationException($"{Name} already belongs to {_layer.Name}");
        }
        _layer = layer;
    }

    /// <summary>What this family of kernels can do for <paramref name="layer"/>.</summary>
    protected abstract KernelCapabilities Declare(LayerDescriptor layer);

    /// <inheritdoc />
    public void Run(Accelerator accelerator, ConvCall call)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ConvKernelGuard.Validate(this, Layer, call);
        RunValidated(accelerator, call);
    }

    /// <summary>
    /// Runs a call that <see cref="ConvKernelGuard"/> has validated against the layer and the capabilities. An ILGPU
    /// kernel runs a host call as its device launch between an upload and a download (<see cref="HostCall"/>); the CPU
    /// SIMD kernels, which read host memory, override this.
    /// </summary>
    protected virtual void RunValidated(Accelerator accelerator, ConvCall call)
    {
        if (call.Map.OutputCount == 0)
        {
            return;
        }
        using var buffers = new Accelerators.DeviceBuffers(accelerator);
        var onDevice = HostCall.Upload(call, buffers);
        LaunchValidated(accelerator.DefaultStream, onDevice);
        HostCall.Download(accelerator.DefaultStream, onDevice, call);
    }

    /// <inheritdoc />
    public void Launch(AcceleratorStream stream, DeviceConvCall call)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ConvKernelGuard.Validate(this, Layer, call);
        LaunchValidated(stream, call);
    }

    /// <summary>
    /// Launches a validated call on device-resident tensors. Only kernels that declare <see cref="KernelDevice.AnyAccelerator"/>
    /// get here (the guard refuses host kernels first).
    /// </summary>
    protected virtual void LaunchValidated(AcceleratorStream stream, DeviceConvCall call) =>
        throw new NotSupportedException($"{Name} has no launch on device-resident tensors");

    /// <summary>The kernel method (for ahead-of-time compilation, e.g. to PTX).</summary>
    public abstract System.Reflection.MethodInfo KernelMethod { get; }

    /// <summary>Whether this variant can run on <paramref name="accelerator"/>, and why not.</summary>
    public bool CanRun(Accelerator accelerator, out string? reason)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        return CanRunOn(accelerator, out reason);
    }

    /// <summary>
    /// ILGPU kernels: whether the group size and shared memory fit the accelerator; tensor-core kernels also need a CUDA
    /// GPU of compute capability 8.0 or later (<c>mma.sync</c> m16n8k32 s8 and m16n8k16 f16), or ILGPU's CPU accelerator
    /// with 32-thread warps (which emulates the instruction).
    /// </summary>
    protected virtual bool CanRunOn(Accelerator accelerator, out string? reason)
    {
        if (Shape == KernelShape.TensorCore && TensorCoresMissing(accelerator) is { } missing)
        {
            reason = missing;
            return false;
        }
        if (Shape is KernelShape.GpuStyle or KernelShape.TensorCore && GroupSize > accelerator.MaxNumThreadsPerGroup)
        {
            reason = $"{GroupSize} threads per group exceed the device's {accelerator.MaxNumThreadsPerGroup}";
            return false;
        }
        if (SharedMemoryBytes > accelerator.MaxSharedMemoryPerGroup)
        {
            reason = $"{SharedMemoryBytes} bytes of shared memory exceed the device's {accelerator.MaxSharedMemoryPerGroup}";
            return false;
        }
        reason = null;
        return true;
    }

    /// <summary>Why tensor-core kernels cannot run on <paramref name="accelerator"/>, or null when they can.</summary>
    private static string? TensorCoresMissing(Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        return accelerator switch
        {
            ILGPU.Runtime.Cuda.CudaAccelerator cuda when cuda.Architecture < ILGPU.Runtime.Cuda.CudaArchitecture.SM_80 =>
                $"tensor-core mma.sync (m16n8k32 s8, m16n8k16 f16) needs compute capability 8.0 or later; {cuda.Name} has {cuda.Architecture}",
            ILGPU.Runtime.Cuda.CudaAccelerator => null,
            { AcceleratorType: AcceleratorType.CPU, WarpSize: 32 } => null,
            { AcceleratorType: AcceleratorType.CPU } =>
                $"the CPU accelerator emulates tensor cores only with 32-thread warps; this one has {accelerator.WarpSize}",
            _ => $"tensor cores need CUDA; this is {accelerator.AcceleratorType}",
        };
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>The launch configuration of a GPU-style variant for <paramref name="rows"/> output rows.</summary>
    /// <remarks>
    /// A pipelined kernel's stages are dynamic shared memory; on an accelerator without <c>cp.async</c> (ILGPU's CPU
    /// accelerator) each thread also gets the log of the copies its emulation holds until they land.
    /// </remarks>
    protected KernelConfig GroupedConfig(Accelerator accelerator, int rows) => new(
        new Index2D((rows + Tile.BlockM - 1) / Tile.BlockM, (OutChannels + Tile.BlockN - 1) / Tile.BlockN),
        new Index2D(GroupSize, 1),
        Pipeline is { } pipeline
            ? SharedMemoryConfig.RequestDynamic<int>(pipeline.DynamicSharedMemoryBytes / 4
                + (accelerator.AcceleratorType == AcceleratorType.Cuda ? 0 : GroupSize * AsyncCopy.EmulationLogWordsPerThread))
            : default);

    /// <summary>
    /// The launch scalars of a pipelined kernel: the device addresses of its raw input (null: the input is fp32, gathered
    /// through registers) and of its packed weights, which <c>cp.async</c> reads (<see cref="AsyncCopy"/>).
    /// </summary>
    private protected TileLaunch WithAddresses<TInput>(TileLaunch launch, ArrayView<TInput>? rawInput, ArrayView<int> weights)
        where TInput : unmanaged
    {
        if (Pipeline is null)
        {
            return launch;
        }
        launch.InputAddress = rawInput is { } input ? input.LoadEffectiveAddressAsPtr().ToInt64() : 0;
        launch.WeightAddress = weights.LoadEffectiveAddressAsPtr().ToInt64();
        return launch;
    }

    /// <summary>Threads for a barrier-free launch over <paramref name="rows"/> output rows.</summary>
    protected int BarrierFreeWidth(Accelerator accelerator, int rows) => GridStride.Width(
        accelerator, (long)((rows + RowsPerThread - 1) / RowsPerThread) * ((OutChannels + ChannelsPerThread - 1) / ChannelsPerThread));

    /// <summary>The loaded kernel for <paramref name="accelerator"/>, loading it on first use.</summary>
    protected T Loaded<T>(Accelerator accelerator, Func<Accelerator, T> load)
        where T : class => Loaded(accelerator, 0, load);

    /// <summary>
    /// The loaded kernel number <paramref name="slot"/> for <paramref name="accelerator"/> (a variant with one kernel per
    /// activation format keeps one per format), loading it on first use.
    /// </summary>
    protected T Loaded<T>(Accelerator accelerator, int slot, Func<Accelerator, T> load)
        where T : class
    {
        lock (_loaded)
        {
            var kernels = _loaded.GetValue(accelerator, _ => []);
            if (!kernels.TryGetValue(slot, out var kernel))
            {
                kernel = load(accelerator);
                kernels[slot] = kernel;
            }
            return (T)kernel;
        }
    }
}
