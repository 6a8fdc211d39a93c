using ILGPU;
using ILGPU.Runtime;
using KernelGen.Accelerators;
using KernelGen.Kernels;
using KernelGen.__Internals;

namespace KernelGen.Variants;

/// <summary>A generated fp32 implicit-GEMM variant (ILGPU): fp32 multiply-adds and the shared epilogue.</summary>
public sealed class F32Variant : KernelVariant
{
    private readonly Action<ArrayView<float>, ArrayView<int>, ArrayView<float>, GpuEpilogue, TileLaunch>? _grouped;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, GpuEpilogue, TileLaunch>? _barrierFree;

    /// <summary>A GPU-style variant around an explicitly grouped kernel.</summary>
    public F32Variant(
        string name, TileShape tile, int outChannels, int groupSize, int sharedMemoryBytes,
        Action<ArrayView<float>, ArrayView<int>, ArrayView<float>, GpuEpilogue, TileLaunch> kernel)
        : base(name, tile, Precision.F32, KernelShape.GpuStyle, outChannels, groupSize, sharedMemoryBytes, 1, 1) => _grouped = kernel;

    /// <summary>A barrier-free variant around a grid-stride kernel.</summary>
    public F32Variant(
        string name, TileShape tile, int outChannels, int rowsPerThread, int channelsPerThread,
        Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, GpuEpilogue, TileLaunch> kernel)
        : base(name, tile, Precision.F32, KernelShape.BarrierFree, outChannels, 1, 0, rowsPerThread, channelsPerThread) => _barrierFree = kernel;

    /// <inheritdoc />
    public override System.Reflection.MethodInfo KernelMethod => _grouped?.Method ?? _barrierFree!.Method;

    /// <inheritdoc />
    /// <remarks>The whole shared epilogue: residual, and int8 output for an int8 layer that follows.</remarks>
    protected override KernelCapabilities Declare(LayerDescriptor layer) =>
        new(KernelDevice.AnyAccelerator, Precision.F32, layer.Activation, SmoothQuant: false, Residual: true, Int8Input: false, Int8Output: true);

    /// <inheritdoc />
    protected override void LaunchValidated(AcceleratorStream stream, DeviceConvCall call)
    {
        var weights = call.Weights.OnDevice(stream.Accelerator);
        Launch(stream, call.Input!.Value, call.OutIn, weights.Packed,
            GpuEpilogue.Of(stream.Accelerator, call, Accelerators.DeviceScratch.Floats(stream.Accelerator), weights.Bias), call.Map.OutputCount);
    }

    /// <summary>Launches on device-resident buffers (no copies, no synchronisation).</summary>
    public void Launch(AcceleratorStream stream, ArrayView<float> features, ArrayView<int> outIn, ArrayView<float> packedWeights, GpuEpilogue epilogue, int rows)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (rows == 0)
        {
            return;
        }
        var accelerator = stream.Accelerator;
        epilogue.Rows = rows;
        if (_grouped is not null)
        {
            var kernel = Loaded(accelerator, a => a.LoadKernel(_grouped));
            kernel(stream, GroupedConfig(stream.Accelerator, rows), features, outIn, packedWeights, epilogue, new TileLaunch { Rows = rows });
        }
        else
        {
            var kernel = Loaded(accelerator, a => a.LoadAutoGroupedKernel(_barrierFree!));
            int width = BarrierFreeWidth(accelerator, rows);
            kernel(stream, width, features, outIn, packedWeights, epilogue, new TileLaunch { Rows = rows, Width = width });
        }
    }
}
