using KernelGen;
using ILGPU;
using ILGPU.Runtime;
using KernelGen.KernelMaps;
using KernelGen.Tensors;
using KernelGen.__Internals;

namespace KernelGen.Kernels;

/// <summary>
/// The generic fp32 sparse-conv kernel: an implicit GEMM whose shapes are run-time values. One thread per output
/// element (row i, channel n) gathers the input rows named by the kernel map and reduces over offsets and input
/// channels; no shared memory and no group barriers, so it runs everywhere (including ILGPU's CPU accelerator at a
/// usable speed) and serves as the fallback and the baseline that specialized kernels are measured against.
/// </summary>
internal sealed class GenericImplicitGemm
{
    private readonly Accelerator _accelerator;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmShape, int, int> _kernel;

    /// <summary>Loads the kernel once for <paramref name="accelerator"/>.</summary>
    public GenericImplicitGemm(Accelerator accelerator)
    {
        _accelerator = accelerator ?? throw new ArgumentNullException(nameof(accelerator));
        _kernel = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmShape, int, int>(Kernel);
    }

    /// <summary>
    /// Runs the conv and returns the output tensor on the map's output sites; with <paramref name="halfOperands"/>, the
    /// features and weights are rounded to fp16 before they are multiplied (fp32 sums).
    /// </summary>
    public SparseTensor Run(SparseTensor input, KernelMap map, ConvWeights weights, Activation activation = Activation.None, bool halfOperands = false)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(weights);
        map.EnsureOutputFits(weights.OutChannels);
        var output = new float[(long)map.OutputCount * weights.OutChannels];
        Run(input, map, weights, activation, output, halfOperands: halfOperands);
        return new SparseTensor(output, map.OutputCoordinates, weights.OutChannels, map.OutputShape, map.BatchSize);
    }

    /// <summary>
    /// Runs the conv into <paramref name="output"/> [M, Cout]. The buffer's prior contents travel to the device and
    /// back, so a poisoned buffer shows any element the kernel failed to write. A <paramref name="residual"/> [M, Cout]
    /// is added before the activation.
    /// </summary>
    public void Run(SparseTensor input, KernelMap map, ConvWeights weights, Activation activation, float[] output, float[]? residual = null, bool halfOperands = false)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weights);
        weights.EnsureCompatible(map, input.Channels);
        if (map.InputCount != input.Count)
        {
            throw new ArgumentException($"the kernel map indexes {map.InputCount} input rows but the input has {input.Count}");
        }
        Run(input.Features, map, weights, activation, output, residual, halfOperands);
    }

    /// <summary>
    /// The same on input features [N, Cin] with N the kernel map's input rows; with <paramref name="halfOperands"/>, every
    /// feature and weight is rounded to fp16 before it is multiplied (fp32 sums): the generic fp16 kernel.
    /// </summary>
    public void Run(float[] inputFeatures, KernelMap map, ConvWeights weights, Activation activation, float[] output, float[]? residual = null, bool halfOperands = false)
    {
        ArgumentNullException.ThrowIfNull(inputFeatures);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(weights);
        weights.EnsureCompatible(map, weights.InChannels);
        if (inputFeatures.LongLength != (long)map.InputCount * weights.InChannels)
        {
            throw new ArgumentException($"input must hold [N={map.InputCount}, Cin={weights.InChannels}] values, got {inputFeatures.LongLength}");
        }
        long elements = (long)map.OutputCount * weights.OutChannels;
        if (output.LongLength != elements)
        {
            throw new ArgumentException($"output must hold [M={map.OutputCount}, Cout={weights.OutChannels}] = {elements} values, got {output.LongLength}");
        }
        if (residual is not null && residual.LongLength != elements)
        {
            throw new ArgumentException($"residual must hold [M={map.OutputCount}, Cout={weights.OutChannels}] = {elements} values, got {residual.LongLength}");
        }
        if (elements == 0)
        {
            return;
        }

        var stream = _accelerator.DefaultStream;
        using var features = _accelerator.Allocate1D(inputFeatures.Length == 0 ? new float[1] : inputFeatures);
        using var outIn = _accelerator.Allocate1D(map.OutIn);
        using var weightBuffer = _accelerator.Allocate1D(weights.Data);
        using var bias = _accelerator.Allocate1D(weights.Bias ?? new float[1]);
        using var residualBuffer = _accelerator.Allocate1D(residual ?? new float[1]);
        using var outputBuffer = _accelerator.Allocate1D(output);
        var shape = ShapeOf(weights, activation);
        shape.HasResidual = residual is null ? 0 : 1;
        shape.HalfOperands = halfOperands ? 1 : 0;
        Launch(stream, features.View, outIn.View, weightBuffer.View, bias.View, outputBuffer.View, shape, map.OutputCount, residualBuffer.View);
        outputBuffer.CopyToCPU(stream, output);
        stream.Synchronize();
    }

    /// <summary>The kernel's shape argument for <paramref name="weights"/> and <paramref name="activation"/>.</summary>
    public static GemmShape ShapeOf(ConvWeights weights, Activation activation) => new()
    {
        InChannels = weights.InChannels,
        OutChannels = weights.OutChannels,
        KernelVolume = weights.Kernel.Product,
        HasBias = weights.Bias is null ? 0 : 1,
        Relu = activation == Activation.Relu ? 1 : 0,
    };

    /// <summary>
    /// Launches on device buffers (no copies, no synchronisation): for callers that keep data resident.
    /// <paramref name="residual"/> is read only when <see cref="GemmShape.HasResidual"/> is set.
    /// </summary>
    public void Launch(
        AcceleratorStream stream, ArrayView<float> features, ArrayView<int> outIn, ArrayView<float> weights,
        ArrayView<float> bias, ArrayView<float> output, GemmShape shape, int outputRows, ArrayView<float> residual = default)
    {
        if (outputRows > 0)
        {
            if (shape.HasResidual != 0 && !residual.IsValid)
            {
                throw new ArgumentException("the shape asks for a residual but none was given", nameof(residual));
            }
            int elements = outputRows * shape.OutChannels;
            int width = GridStride.Width(_accelerator, elements);
            _kernel(stream, width, features, outIn, weights, bias, shape.HasResidual != 0 ? residual : output, output, shape, elements, width);
        }
    }

    private static void Kernel(
        Index1D thread, ArrayView<float> features, ArrayView<int> outIn, ArrayView<float> weights,
        ArrayView<float> bias, ArrayView<float> residual, ArrayView<float> output, GemmShape shape, int elements, int width)
    {
        for (int element = thread; element < elements; element += width)
        {
            output[element] = OutputElement(element, features, outIn, weights, bias, residual, shape);
        }
    }

    private static float OutputElement(
        int index, ArrayView<float> features, ArrayView<int> outIn, ArrayView<float> weights, ArrayView<float> bias,
        ArrayView<float> residual, GemmShape shape)
    {
        // Consecutive elements are consecutive output channels of one row: output writes coalesce and the
        // gathered feature row is shared through the cache.
        int row = index / shape.OutChannels;
        int n = index % shape.OutChannels;
        float accumulator = 0f;
        for (int k = 0; k < shape.KernelVolume; k++)
        {
            int source = outIn[row * shape.KernelVolume + k];
            if (source < 0)
            {
                continue;
            }
            int featureBase = source * shape.InChannels;
            int weightBase = (n * shape.KernelVolume + k) * shape.InChannels;
            if (shape.HalfOperands != 0)
            {
                for (int c = 0; c < shape.InChannels; c++)
                {
                    accumulator += TensorCore.RoundToHalf(features[featureBase + c]) * TensorCore.RoundToHalf(weights[weightBase + c]);
                }
                continue;
            }
            for (int c = 0; c < shape.InChannels; c++)
            {
                accumulator += features[featureBase + c] * weights[weightBase + c];
            }
        }
        if (shape.HasBias != 0)
        {
            accumulator += bias[n];
        }
        if (shape.HasResidual != 0)
        {
            accumulator += residual[index];
        }
        if (shape.Relu != 0)
        {
            accumulator = ReluOf(accumulator);
        }
        return accumulator;
    }

    private static float ReluOf(float value) => value > 0f ? value : 0f;
}
