using ILGPU;
using ILGPU.Runtime;
using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Quantization;
using KernelGen.Tensors;

namespace KernelGen.Variants;

/// <summary>A generated fp32 implicit-GEMM variant.</summary>
public sealed class F32Variant : KernelVariant
{
    private readonly Action<ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, TileLaunch>? _grouped;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, TileLaunch>? _barrierFree;

    /// <summary>A GPU-style variant around an explicitly grouped kernel.</summary>
    public F32Variant(
        string name, TileShape tile, int outChannels, int groupSize, int sharedMemoryBytes,
        Action<ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, TileLaunch> kernel)
        : base(name, tile, Precision.F32, KernelShape.GpuStyle, outChannels, groupSize, sharedMemoryBytes, 1, 1) => _grouped = kernel;

    /// <summary>A barrier-free variant around a grid-stride kernel.</summary>
    public F32Variant(
        string name, TileShape tile, int outChannels, int rowsPerThread, int channelsPerThread,
        Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, TileLaunch> kernel)
        : base(name, tile, Precision.F32, KernelShape.BarrierFree, outChannels, 1, 0, rowsPerThread, channelsPerThread) => _barrierFree = kernel;

    /// <inheritdoc />
    public override System.Reflection.MethodInfo KernelMethod => _grouped?.Method ?? _barrierFree!.Method;

    /// <inheritdoc />
    protected override KernelCapabilities Declare(LayerDescriptor layer) =>
        new(KernelDevice.AnyAccelerator, Precision.F32, layer.Activation, SmoothQuant: false, Residual: false, Int8Input: false, Int8Output: false);

    /// <inheritdoc />
    protected override void RunValidated(Accelerator accelerator, ConvCall call) => RunArrays(accelerator, call.Input!, call.Map, call.Weights.Packed, call.Output!);

    /// <summary>Runs the layer into <paramref name="output"/> [M, Cout] (its prior contents travel to the device and back).</summary>
    public void Run(Accelerator accelerator, SparseTensor input, KernelMap map, F32LayerWeights weights, float[] output)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(output);
        EnsureShapes(input, map, weights.InChannels, weights.KernelVolume, OutChannels, output.LongLength);
        RunArrays(accelerator, input.Features, map, weights, output);
    }

    private void RunArrays(Accelerator accelerator, float[] input, KernelMap map, F32LayerWeights weights, float[] output)
    {
        if (output.Length == 0)
        {
            return;
        }
        using var features = accelerator.Allocate1D(input.Length == 0 ? new float[1] : input);
        using var outIn = accelerator.Allocate1D(map.OutIn);
        using var packed = accelerator.Allocate1D(weights.Packed);
        using var bias = accelerator.Allocate1D(weights.Bias);
        using var result = accelerator.Allocate1D(output);
        Launch(accelerator.DefaultStream, features.View, outIn.View, packed.View, bias.View, result.View, map.OutputCount);
        result.CopyToCPU(accelerator.DefaultStream, output);
        accelerator.Synchronize();
    }

    /// <summary>Runs the layer and returns the output tensor on the map's output sites.</summary>
    public SparseTensor Run(Accelerator accelerator, SparseTensor input, KernelMap map, F32LayerWeights weights)
    {
        var output = new float[(long)map.OutputCount * OutChannels];
        Run(accelerator, input, map, weights, output);
        return new SparseTensor(output, map.OutputCoordinates, OutChannels, map.OutputShape, map.BatchSize);
    }

    /// <summary>Launches on device-resident buffers (no copies, no synchronisation).</summary>
    public void Launch(
        AcceleratorStream stream, ArrayView<float> features, ArrayView<int> outIn, ArrayView<float> packedWeights,
        ArrayView<float> bias, ArrayView<float> output, int rows)
    {
        if (rows == 0)
        {
            return;
        }
        var accelerator = stream.Accelerator;
        if (_grouped is not null)
        {
            var kernel = Loaded(accelerator, a => a.LoadKernel(_grouped));
            kernel(stream, GroupedConfig(rows), features, outIn, packedWeights, bias, output, new TileLaunch { Rows = rows });
        }
        else
        {
            var kernel = Loaded(accelerator, a => a.LoadAutoGroupedKernel(_barrierFree!));
            int width = BarrierFreeWidth(accelerator, rows);
            kernel(stream, width, features, outIn, packedWeights, bias, output, new TileLaunch { Rows = rows, Width = width });
        }
    }
}
