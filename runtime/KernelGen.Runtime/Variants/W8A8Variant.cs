using ILGPU;
using ILGPU.Runtime;
using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Quantization;
using KernelGen.Tensors;

namespace KernelGen.Variants;

/// <summary>
/// A generated W8A8 implicit-GEMM variant: activations are (smoothed and) quantized to int8 as they are gathered,
/// weights are pre-quantized per output channel and packed four channels to a word, products accumulate in int32
/// (<c>dp4a</c> on CUDA), and the epilogue dequantizes <c>acc · s_x · s_w[n] + bias[n]</c>, applies the activation,
/// and writes fp32 or re-quantized int8.
/// </summary>
public sealed class W8A8Variant : KernelVariant
{
    private readonly Action<ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<sbyte>, TileLaunch>? _grouped;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<sbyte>, TileLaunch>? _barrierFree;

    /// <summary>A GPU-style variant around an explicitly grouped kernel.</summary>
    public W8A8Variant(
        string name, TileShape tile, int outChannels, bool smoothQuant, int groupSize, int sharedMemoryBytes,
        Action<ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<sbyte>, TileLaunch> kernel)
        : base(name, tile, Precision.W8A8, KernelShape.GpuStyle, outChannels, groupSize, sharedMemoryBytes, 1, 1)
    {
        SmoothQuant = smoothQuant;
        _grouped = kernel;
    }

    /// <summary>A barrier-free variant around a grid-stride kernel.</summary>
    public W8A8Variant(
        string name, TileShape tile, int outChannels, bool smoothQuant, int rowsPerThread, int channelsPerThread,
        Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<sbyte>, TileLaunch> kernel)
        : base(name, tile, Precision.W8A8, KernelShape.BarrierFree, outChannels, 1, 0, rowsPerThread, channelsPerThread)
    {
        SmoothQuant = smoothQuant;
        _barrierFree = kernel;
    }

    /// <summary>Whether the kernel applies per-input-channel SmoothQuant factors in its prologue.</summary>
    public bool SmoothQuant { get; }

    /// <inheritdoc />
    public override System.Reflection.MethodInfo KernelMethod => _grouped?.Method ?? _barrierFree!.Method;

    /// <inheritdoc />
    /// <remarks>
    /// No residual, and no int8 output in the contract's sense: the generated GPU epilogue re-quantizes with one scalar
    /// multiplier (see <see cref="RunInt8"/>), not per channel.
    /// </remarks>
    protected override KernelCapabilities Declare(LayerDescriptor layer) =>
        new(KernelDevice.AnyAccelerator, Precision.W8A8, layer.Activation, SmoothQuant, Residual: false, Int8Input: false, Int8Output: false);

    /// <inheritdoc />
    protected override void RunValidated(Accelerator accelerator, ConvCall call) =>
        RunArrays(accelerator, call.Input!, call.Map, call.Weights.Int8!, call.Output, null, 0f);

    /// <summary>Runs the layer into fp32 <paramref name="output"/> [M, Cout].</summary>
    public void Run(Accelerator accelerator, SparseTensor input, KernelMap map, W8A8LayerWeights weights, float[] output) =>
        Execute(accelerator, input, map, weights, output, null, 0f);

    /// <summary>
    /// Runs the layer and writes int8 [M, Cout] quantized with <paramref name="outputScale"/> (the next layer's s_x),
    /// for a following int8 layer.
    /// </summary>
    public void RunInt8(Accelerator accelerator, SparseTensor input, KernelMap map, W8A8LayerWeights weights, sbyte[] output, float outputScale)
    {
        if (!(outputScale > 0) || !float.IsFinite(outputScale))
        {
            throw new ArgumentException($"output scale must be positive and finite, got {outputScale}", nameof(outputScale));
        }
        Execute(accelerator, input, map, weights, null, output, 1f / outputScale);
    }

    private void Execute(Accelerator accelerator, SparseTensor input, KernelMap map, W8A8LayerWeights weights, float[]? output, sbyte[]? outputInt8, float outputMultiplier)
    {
        ArgumentNullException.ThrowIfNull(weights);
        EnsureShapes(input, map, weights.InChannels, weights.KernelVolume, OutChannels, output?.LongLength ?? outputInt8!.LongLength);
        if (SmoothQuant != weights.Smoothing is not null)
        {
            throw new ArgumentException(SmoothQuant
                ? $"{Name} fuses SmoothQuant: its weights need smoothing factors"
                : $"{Name} has no SmoothQuant prologue: its weights must be quantized without smoothing factors");
        }
        RunArrays(accelerator, input.Features, map, weights, output, outputInt8, outputMultiplier);
    }

    private void RunArrays(Accelerator accelerator, float[] input, KernelMap map, W8A8LayerWeights weights, float[]? output, sbyte[]? outputInt8, float outputMultiplier)
    {
        if (map.OutputCount == 0)
        {
            return;
        }
        using var features = accelerator.Allocate1D(input.Length == 0 ? new float[1] : input);
        using var outIn = accelerator.Allocate1D(map.OutIn);
        using var packed = accelerator.Allocate1D(weights.Packed);
        using var multipliers = accelerator.Allocate1D(weights.ActivationMultipliers);
        using var dequant = accelerator.Allocate1D(weights.DequantizeScales);
        using var bias = accelerator.Allocate1D(weights.Bias);
        using var result = accelerator.Allocate1D(output ?? new float[1]);
        using var result8 = accelerator.Allocate1D(outputInt8 ?? new sbyte[1]);
        Launch(accelerator.DefaultStream, features.View, outIn.View, packed.View, multipliers.View, dequant.View, bias.View,
            result.View, result8.View, map.OutputCount, outputInt8 is not null, outputMultiplier);
        if (output is not null)
        {
            result.CopyToCPU(accelerator.DefaultStream, output);
        }
        else
        {
            result8.CopyToCPU(accelerator.DefaultStream, outputInt8!);
        }
        accelerator.Synchronize();
    }

    /// <summary>Launches on device-resident buffers (no copies, no synchronisation).</summary>
    public void Launch(
        AcceleratorStream stream, ArrayView<float> features, ArrayView<int> outIn, ArrayView<int> packedWeights,
        ArrayView<float> activationMultipliers, ArrayView<float> dequantizeScales, ArrayView<float> bias,
        ArrayView<float> output, ArrayView<sbyte> outputInt8, int rows, bool writeInt8 = false, float outputMultiplier = 0f)
    {
        if (rows == 0)
        {
            return;
        }
        var accelerator = stream.Accelerator;
        var launch = new TileLaunch { Rows = rows, WriteInt8 = writeInt8 ? 1 : 0, OutputMultiplier = outputMultiplier };
        if (_grouped is not null)
        {
            var kernel = Loaded(accelerator, a => a.LoadKernel(_grouped));
            kernel(stream, GroupedConfig(rows), features, outIn, packedWeights, activationMultipliers, dequantizeScales, bias, output, outputInt8, launch);
        }
        else
        {
            var kernel = Loaded(accelerator, a => a.LoadAutoGroupedKernel(_barrierFree!));
            launch.Width = BarrierFreeWidth(accelerator, rows);
            kernel(stream, launch.Width, features, outIn, packedWeights, activationMultipliers, dequantizeScales, bias, output, outputInt8, launch);
        }
    }
}
