using System.Reflection;
using ILGPU;
using ILGPU.Runtime;
using KernelGen.Accelerators;
using KernelGen.Kernels;
using KernelGen.Quantization;
using KernelGen.__Internals;

namespace KernelGen.Variants;

/// <summary>
/// A generated W8A8 implicit-GEMM variant (ILGPU): activations are (smoothed and) quantized to the layer's activation
/// codes (s8, or u8 for an input that is never negative) as they are gathered, or read as 8-bit codes from the previous
/// layer's int8 epilogue; weights are pre-quantized per output channel and packed four channels to a word; products
/// accumulate in int32 (<c>dp4a</c>, or <c>mma.sync</c> on tensor cores, on CUDA: <c>.s32.s32</c>/<c>.s8.s8</c> for s8,
/// <c>.u32.s32</c>/<c>.u8.s8</c> for u8); then the shared epilogue. The kernel is generic over the format
/// (<see cref="IActivationCode"/>): one compiled kernel per row of <see cref="ActivationFormats"/>.
/// </summary>
public sealed class W8A8Variant : KernelVariant
{
    private readonly Action<ArrayView<float>, ArrayView<sbyte>, ArrayView<int>, ArrayView<int>, ArrayView<float>, GpuEpilogue, TileLaunch>? _grouped;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<sbyte>, ArrayView<int>, ArrayView<int>, ArrayView<float>, GpuEpilogue, TileLaunch>? _barrierFree;

    /// <summary>
    /// A GPU-style variant around an explicitly grouped kernel, or, with <paramref name="shape"/>
    /// <see cref="KernelShape.TensorCore"/>, a tensor-core one (the same arguments: int8 words in, the shared epilogue).
    /// <paramref name="kernel"/> is the kernel's s8 instantiation; the other formats' come from its generic definition. A
    /// tensor-core kernel with a <paramref name="pipeline"/> gathers through <c>cp.async</c> stages.
    /// </summary>
    public W8A8Variant(
        string name, TileShape tile, int outChannels, bool smoothQuant, int groupSize, int sharedMemoryBytes,
        Action<ArrayView<float>, ArrayView<sbyte>, ArrayView<int>, ArrayView<int>, ArrayView<float>, GpuEpilogue, TileLaunch> kernel,
        KernelShape shape = KernelShape.GpuStyle, AsyncPipeline? pipeline = null)
        : base(name, tile, Precision.W8A8, shape, outChannels, groupSize, sharedMemoryBytes, 1, 1, pipeline)
    {
        SmoothQuant = smoothQuant;
        _grouped = kernel;
    }

    /// <summary>A barrier-free variant around a grid-stride kernel (its s8 instantiation).</summary>
    public W8A8Variant(
        string name, TileShape tile, int outChannels, bool smoothQuant, int rowsPerThread, int channelsPerThread,
        Action<Index1D, ArrayView<float>, ArrayView<sbyte>, ArrayView<int>, ArrayView<int>, ArrayView<float>, GpuEpilogue, TileLaunch> kernel)
        : base(name, tile, Precision.W8A8, KernelShape.BarrierFree, outChannels, 1, 0, rowsPerThread, channelsPerThread)
    {
        SmoothQuant = smoothQuant;
        _barrierFree = kernel;
    }

    /// <summary>Whether the kernel applies per-input-channel SmoothQuant factors in its prologue.</summary>
    public bool SmoothQuant { get; }

    /// <inheritdoc />
    /// <remarks>The s8 instantiation; <see cref="KernelMethodFor"/> gives each format's.</remarks>
    public override MethodInfo KernelMethod => KernelMethodFor(ActivationFormat.S8);

    /// <summary>The kernel method compiled for activations coded as <paramref name="format"/>.</summary>
    public MethodInfo KernelMethodFor(ActivationFormat format)
    {
        var method = _grouped?.Method ?? _barrierFree!.Method;
        var code = ActivationFormats.Of(format).Code;
        return method.IsGenericMethod && method.GetGenericArguments()[0] != code
            ? method.GetGenericMethodDefinition().MakeGenericMethod(code)
            : method;
    }

    /// <inheritdoc />
    /// <remarks>The whole shared epilogue and int8 chaining: residual, int8 input, int8 output with per-channel requantization.</remarks>
    protected override KernelCapabilities Declare(LayerDescriptor layer) =>
        new(KernelDevice.AnyAccelerator, Precision.W8A8, layer.Activation, SmoothQuant, Residual: true, Int8Input: true, Int8Output: true);

    /// <inheritdoc />
    protected override void LaunchValidated(AcceleratorStream stream, DeviceConvCall call)
    {
        var accelerator = stream.Accelerator;
        var weights = call.Weights.OnDevice(accelerator);
        Launch(stream, call.Input ?? Accelerators.DeviceScratch.Floats(accelerator), call.InputInt8 ?? Accelerators.DeviceScratch.Bytes(accelerator),
            call.OutIn, weights.Int8Packed, weights.ActivationMultipliers,
            GpuEpilogue.Of(accelerator, call, weights.DequantizeScales, weights.Int8Bias), call.Map.OutputCount, int8Input: call.InputInt8 is not null,
            format: call.Weights.Int8!.Format);
    }

    /// <summary>
    /// Launches on device-resident buffers (no copies, no synchronisation): fp32 <paramref name="features"/> quantized on
    /// the fly, or, with <paramref name="int8Input"/>, 8-bit <paramref name="featuresInt8"/> read as they are; either way
    /// coded as <paramref name="format"/>.
    /// </summary>
    public void Launch(
        AcceleratorStream stream, ArrayView<float> features, ArrayView<sbyte> featuresInt8, ArrayView<int> outIn, ArrayView<int> packedWeights,
        ArrayView<float> activationMultipliers, GpuEpilogue epilogue, int rows, bool int8Input = false, ActivationFormat format = ActivationFormat.S8)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (rows == 0)
        {
            return;
        }
        var accelerator = stream.Accelerator;
        epilogue.Rows = rows;
        var launch = WithAddresses<sbyte>(new TileLaunch { Rows = rows, Int8Input = int8Input ? 1 : 0 }, int8Input ? featuresInt8 : null, packedWeights);
        var method = KernelMethodFor(format);
        if (_grouped is not null)
        {
            var kernel = Loaded(accelerator, (int)format, a => a.LoadKernel(method.CreateDelegate<Action<ArrayView<float>, ArrayView<sbyte>, ArrayView<int>, ArrayView<int>, ArrayView<float>, GpuEpilogue, TileLaunch>>()));
            kernel(stream, GroupedConfig(accelerator, rows), features, featuresInt8, outIn, packedWeights, activationMultipliers, epilogue, launch);
        }
        else
        {
            var kernel = Loaded(accelerator, (int)format, a => a.LoadAutoGroupedKernel(method.CreateDelegate<Action<Index1D, ArrayView<float>, ArrayView<sbyte>, ArrayView<int>, ArrayView<int>, ArrayView<float>, GpuEpilogue, TileLaunch>>()));
            launch.Width = BarrierFreeWidth(accelerator, rows);
            kernel(stream, launch.Width, features, featuresInt8, outIn, packedWeights, activationMultipliers, epilogue, launch);
        }
    }
}
