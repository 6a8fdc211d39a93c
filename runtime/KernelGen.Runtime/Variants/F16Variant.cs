using ILGPU;
using ILGPU.Runtime;
using KernelGen.Accelerators;
using KernelGen.Kernels;
using KernelGen.__Internals;

namespace KernelGen.Variants;

/// <summary>
/// A generated fp16 tensor-core variant (ILGPU): activations are rounded to fp16 as they are gathered, two channels to a
/// word — or, on device-resident fp16 tensors, read as the half pairs the previous fp16 layer wrote — weights are
/// pre-rounded and packed the same way (<see cref="Kernels.F16LayerWeights"/>), warps multiply on tensor cores with fp32
/// accumulation (<c>mma.sync.aligned.m16n8k16</c>), then the shared epilogue (fp32 out, or fp16 out for an fp16 reader).
/// </summary>
public sealed class F16Variant : KernelVariant
{
    private readonly Action<ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<int>, GpuEpilogue, TileLaunch> _kernel;

    /// <summary>A tensor-core variant around an explicitly grouped kernel; with a <paramref name="pipeline"/>, one that gathers through <c>cp.async</c> stages.</summary>
    public F16Variant(
        string name, TileShape tile, int outChannels, int groupSize, int sharedMemoryBytes,
        Action<ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<int>, GpuEpilogue, TileLaunch> kernel, AsyncPipeline? pipeline = null)
        : base(name, tile, Precision.F16, KernelShape.TensorCore, outChannels, groupSize, sharedMemoryBytes, 1, 1, pipeline) => _kernel = kernel;

    /// <inheritdoc />
    public override System.Reflection.MethodInfo KernelMethod => _kernel.Method;

    /// <inheritdoc />
    /// <remarks>
    /// The epilogue with a residual; int8 in and out belong to W8A8. fp16 tensors in and out where both channel counts
    /// are even: a row of half pairs is then exactly the kernel's operand words.
    /// </remarks>
    protected override KernelCapabilities Declare(LayerDescriptor layer) =>
        new(KernelDevice.AnyAccelerator, Precision.F16, layer.Activation, SmoothQuant: false, Residual: true, Int8Input: false, Int8Output: false,
            HalfTensors: layer.InChannels % 2 == 0 && layer.OutChannels % 2 == 0);

    /// <inheritdoc />
    protected override void LaunchValidated(AcceleratorStream stream, DeviceConvCall call)
    {
        var weights = call.Weights.OnDevice(stream.Accelerator);
        var accelerator = stream.Accelerator;
        Launch(stream, call.Input ?? DeviceScratch.Floats(accelerator), call.InputHalf?.Cast<int>(), call.OutIn, weights.HalfPacked,
            GpuEpilogue.Of(accelerator, call, DeviceScratch.Floats(accelerator), weights.Bias), call.Map.OutputCount);
    }

    /// <summary>
    /// Launches on device-resident buffers (no copies, no synchronisation): fp32 <paramref name="features"/>, or fp16
    /// ones as half pairs (<paramref name="halfPairs"/>, [N, Cin / 2] words) when given.
    /// </summary>
    public void Launch(AcceleratorStream stream, ArrayView<float> features, ArrayView<int>? halfPairs, ArrayView<int> outIn, ArrayView<int> packedWeights, GpuEpilogue epilogue, int rows)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (rows == 0)
        {
            return;
        }
        epilogue.Rows = rows;
        var kernel = Loaded(stream.Accelerator, a => a.LoadKernel(_kernel));
        kernel(stream, GroupedConfig(stream.Accelerator, rows), features, halfPairs ?? DeviceScratch.Words(stream.Accelerator), outIn, packedWeights, epilogue,
            WithAddresses<int>(new TileLaunch { Rows = rows, HalfInput = halfPairs is null ? 0 : 1 }, halfPairs, packedWeights));
    }
}
