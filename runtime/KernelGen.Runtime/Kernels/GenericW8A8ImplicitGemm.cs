using ILGPU;
using ILGPU.Runtime;
using KernelGen.KernelMaps;
using KernelGen.Quantization;
using KernelGen.Tensors;
using KernelGen.__Internals;

namespace KernelGen.Kernels;

/// <summary>
/// The generic W8A8 sparse-conv kernel (run-time shapes; the fallback for any layer and what <c>kernelgen conv --quant</c>
/// runs): per output element it gathers input rows through the map, quantizes them in the prologue to the layer's
/// activation codes (or reads the codes produced by the previous layer), accumulates their products with the int8 weights
/// in int32 (<c>dp4a</c> on CUDA, one kernel per activation format), and dequantizes in the epilogue with bias, an
/// optional residual (spconv's SubM + add + ReLU block), the activation, and fp32 or 8-bit output.
/// </summary>
/// <remarks>Semantics: <see cref="W8A8LayerWeights"/>. Barrier-free grid-stride kernel, like <see cref="GenericImplicitGemm"/>.</remarks>
internal sealed class GenericW8A8ImplicitGemm
{
    private readonly Accelerator _accelerator;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<sbyte>, ArrayView<int>, ArrayView<int>, ArrayView<float>,
        ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<sbyte>, ArrayView<float>, W8A8Shape>[] _kernels;

    /// <summary>Loads the kernel once for <paramref name="accelerator"/>, one instantiation per activation format.</summary>
    public GenericW8A8ImplicitGemm(Accelerator accelerator)
    {
        _accelerator = accelerator ?? throw new ArgumentNullException(nameof(accelerator));
        var definition = typeof(GenericW8A8ImplicitGemm).GetMethod(nameof(Kernel), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!;
        _kernels = ActivationFormats.All.Select(row => accelerator.LoadAutoGroupedKernel(
            definition.MakeGenericMethod(row.Code).CreateDelegate<Action<Index1D, ArrayView<float>, ArrayView<sbyte>, ArrayView<int>, ArrayView<int>, ArrayView<float>,
                ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<sbyte>, ArrayView<float>, W8A8Shape>>())).ToArray();
    }

    /// <summary>fp32 input, fp32 output [M, Cout].</summary>
    public void Run(SparseTensor input, KernelMap map, W8A8LayerWeights weights, Activation activation, float[] output, float[]? residual = null) =>
        Execute(input.Features, null, input.Count, input.Channels, map, weights, activation, residual, output, null, null, ActivationFormat.S8);

    /// <summary>
    /// fp32 input, int8 output [M, Cout] re-quantized for the next int8 layer: <c>q = clamp(rne(fp32(y · m_n)))</c> with
    /// <paramref name="outputMultipliers"/> m_n = 1 / (s'_n · s'_x) of the consumer (its SmoothQuant factor per channel
    /// and its activation scale), so the consumer reads the int8 values as its own quantized input.
    /// </summary>
    public void RunInt8(SparseTensor input, KernelMap map, W8A8LayerWeights weights, Activation activation, sbyte[] output,
        float[] outputMultipliers, float[]? residual = null, ActivationFormat outputFormat = ActivationFormat.S8) =>
        Execute(input.Features, null, input.Count, input.Channels, map, weights, activation, residual, null, output, outputMultipliers, outputFormat);

    /// <summary>
    /// int8 input [N, Cin] produced by the previous layer's int8 epilogue (already divided by this layer's s_c · s_x),
    /// fp32 output [M, Cout].
    /// </summary>
    public void RunFromInt8(sbyte[] input, int inputRows, KernelMap map, W8A8LayerWeights weights, Activation activation, float[] output, float[]? residual = null) =>
        Execute(null, input, inputRows, weights.InChannels, map, weights, activation, residual, output, null, null, ActivationFormat.S8);

    /// <summary>
    /// Any combination the kernel supports: fp32 <paramref name="features"/> or int8 <paramref name="features8"/> input
    /// of <paramref name="rows"/> rows, optional residual, fp32 <paramref name="output"/> or int8
    /// <paramref name="output8"/> with per-channel <paramref name="outputMultipliers"/> in the codes of
    /// <paramref name="outputFormat"/>. The input is coded as the weights' format.
    /// </summary>
    public void Execute(
        float[]? features, sbyte[]? features8, int rows, int channels, KernelMap map, W8A8LayerWeights weights, Activation activation,
        float[]? residual, float[]? output, sbyte[]? output8, float[]? outputMultipliers, ActivationFormat outputFormat)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(weights);
        int cout = weights.OutChannels;
        if (channels != weights.InChannels)
        {
            throw new ArgumentException($"input has {channels} channels but the weights expect Cin={weights.InChannels}");
        }
        if (map.KernelVolume != weights.KernelVolume)
        {
            throw new ArgumentException($"the kernel map has {map.KernelVolume} offsets but the weights have {weights.KernelVolume}");
        }
        if (map.InputCount != rows)
        {
            throw new ArgumentException($"the kernel map indexes {map.InputCount} input rows but the input has {rows}");
        }
        if (features8 is not null && features8.Length != (long)rows * channels)
        {
            throw new ArgumentException($"int8 input must hold [N={rows}, Cin={channels}] values, got {features8.Length}");
        }
        long elements = (long)map.OutputCount * cout;
        if ((output?.LongLength ?? output8!.LongLength) != elements)
        {
            throw new ArgumentException($"output must hold [M={map.OutputCount}, Cout={cout}] = {elements} values");
        }
        if (residual is not null && residual.LongLength != elements)
        {
            throw new ArgumentException($"residual must hold [M={map.OutputCount}, Cout={cout}] = {elements} values, got {residual.LongLength}");
        }
        if (outputMultipliers is not null && outputMultipliers.Length != cout)
        {
            throw new ArgumentException($"int8 output needs {cout} output multipliers, got {outputMultipliers.Length}");
        }
        if (elements == 0)
        {
            return;
        }

        var stream = _accelerator.DefaultStream;
        int width = GridStride.Width(_accelerator, elements);
        var shape = new W8A8Shape
        {
            InChannels = channels,
            InChannelWords = weights.InChannelWords,
            OutChannels = cout,
            KernelVolume = map.KernelVolume,
            HasBias = 1,
            Relu = activation == Activation.Relu ? 1 : 0,
            HasResidual = residual is null ? 0 : 1,
            Int8Input = features8 is null ? 0 : 1,
            WriteInt8 = output8 is null ? 0 : 1,
            OutputLow = ActivationFormats.Of(outputFormat).Min,
            OutputHigh = ActivationFormats.Of(outputFormat).Max,
            Elements = checked((int)elements),
            Width = width,
        };
        using var f = _accelerator.Allocate1D(features is { Length: > 0 } ? features : new float[1]);
        using var f8 = _accelerator.Allocate1D(features8 is { Length: > 0 } ? features8 : new sbyte[1]);
        using var outIn = _accelerator.Allocate1D(map.OutIn);
        using var packed = _accelerator.Allocate1D(weights.Packed);
        using var multipliers = _accelerator.Allocate1D(weights.ActivationMultipliers);
        using var dequantize = _accelerator.Allocate1D(weights.DequantizeScales);
        using var bias = _accelerator.Allocate1D(weights.Bias);
        using var res = _accelerator.Allocate1D(residual ?? new float[1]);
        using var out32 = _accelerator.Allocate1D(output ?? new float[1]);
        using var out8 = _accelerator.Allocate1D(output8 ?? new sbyte[1]);
        using var outMultipliers = _accelerator.Allocate1D(outputMultipliers ?? new float[1]);
        Launch(stream, f.View, f8.View, outIn.View, packed.View, multipliers.View, dequantize.View, bias.View, res.View,
            out32.View, out8.View, outMultipliers.View, shape, weights.Format);
        if (output is not null)
        {
            out32.CopyToCPU(stream, output);
        }
        else
        {
            out8.CopyToCPU(stream, output8!);
        }
        stream.Synchronize();
    }

    /// <summary>
    /// Launches on device-resident buffers (no copies, no synchronisation); <paramref name="shape"/> says which views are
    /// read (8-bit or fp32 input, residual) and written (8-bit or fp32 output). Its Width is set here. The input is
    /// coded as <paramref name="format"/>.
    /// </summary>
    public void Launch(
        AcceleratorStream stream, ArrayView<float> features, ArrayView<sbyte> features8, ArrayView<int> outIn, ArrayView<int> packed,
        ArrayView<float> activationMultipliers, ArrayView<float> dequantizeScales, ArrayView<float> bias, ArrayView<float> residual,
        ArrayView<float> output, ArrayView<sbyte> output8, ArrayView<float> outputMultipliers, W8A8Shape shape, ActivationFormat format)
    {
        if (shape.Elements == 0)
        {
            return;
        }
        shape.Width = GridStride.Width(_accelerator, shape.Elements);
        _kernels[(int)format](stream, shape.Width, features, features8, outIn, packed, activationMultipliers, dequantizeScales, bias, residual,
            output, output8, outputMultipliers, shape);
    }

    private static void Kernel<TCode>(
        Index1D thread, ArrayView<float> features, ArrayView<sbyte> features8, ArrayView<int> outIn, ArrayView<int> packed,
        ArrayView<float> multipliers, ArrayView<float> dequantize, ArrayView<float> bias, ArrayView<float> residual,
        ArrayView<float> output, ArrayView<sbyte> output8, ArrayView<float> outputMultipliers, W8A8Shape shape)
        where TCode : struct, IActivationCode
    {
        for (int element = thread; element < shape.Elements; element += shape.Width)
        {
            int row = element / shape.OutChannels, n = element % shape.OutChannels;
            int accumulator = 0;
            for (int k = 0; k < shape.KernelVolume; k++)
            {
                int source = outIn[row * shape.KernelVolume + k];
                if (source < 0)
                {
                    continue;
                }
                for (int word = 0; word < shape.InChannelWords; word++)
                {
                    int activation = ActivationWord<TCode>(features, features8, multipliers, source, word, shape);
                    accumulator = default(TCode).Dot4(activation, packed[(k * shape.InChannelWords + word) * shape.OutChannels + n], accumulator);
                }
            }
            float value = accumulator * dequantize[n];
            if (shape.HasBias != 0)
            {
                value += bias[n];
            }
            if (shape.HasResidual != 0)
            {
                value += residual[element];
            }
            if (shape.Relu != 0 && value < 0f)
            {
                value = 0f;
            }
            if (shape.WriteInt8 != 0)
            {
                output8[element] = (sbyte)Int8Math.Quantize(value * outputMultipliers[n], shape.OutputLow, shape.OutputHigh);
            }
            else
            {
                output[element] = value;
            }
        }
    }

    private static int ActivationWord<TCode>(
        ArrayView<float> features, ArrayView<sbyte> features8, ArrayView<float> multipliers, int source, int word, W8A8Shape shape)
        where TCode : struct, IActivationCode
    {
        int q0 = 0, q1 = 0, q2 = 0, q3 = 0;
        int channel = word * 4, rowBase = source * shape.InChannels;
        q0 = Lane<TCode>(features, features8, multipliers, rowBase, channel, shape);
        q1 = Lane<TCode>(features, features8, multipliers, rowBase, channel + 1, shape);
        q2 = Lane<TCode>(features, features8, multipliers, rowBase, channel + 2, shape);
        q3 = Lane<TCode>(features, features8, multipliers, rowBase, channel + 3, shape);
        return Int8Math.Pack(q0, q1, q2, q3);
    }

    private static int Lane<TCode>(ArrayView<float> features, ArrayView<sbyte> features8, ArrayView<float> multipliers, int rowBase, int channel, W8A8Shape shape)
        where TCode : struct, IActivationCode
    {
        if (channel >= shape.InChannels)
        {
            return 0;
        }
        return shape.Int8Input != 0
            ? features8[rowBase + channel]
            : default(TCode).Quantize(features[rowBase + channel] * multipliers[channel]);
    }
}
