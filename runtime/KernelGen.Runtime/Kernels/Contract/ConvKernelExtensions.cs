using ILGPU.Runtime;
using KernelGen.KernelMaps;
using KernelGen.Tensors;

namespace KernelGen.Kernels;

/// <summary>The contract's <see cref="IConvKernel.Run"/> on tensors, for callers that run one layer and read its output.</summary>
public static class ConvKernelExtensions
{
    /// <summary>
    /// Runs <paramref name="kernel"/> on <paramref name="input"/>'s fp32 features (plus <paramref name="residual"/>'s,
    /// when given) and returns the output tensor [M, Cout] at the map's output sites.
    /// </summary>
    public static SparseTensor Run(
        this IConvKernel kernel, Accelerator accelerator, SparseTensor input, KernelMap map, LayerWeights weights, SparseTensor? residual = null)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(weights);
        map.EnsureOutputFits(weights.OutChannels);
        var output = new float[(long)map.OutputCount * weights.OutChannels];
        kernel.Run(accelerator, new ConvCall { Map = map, Weights = weights, Input = input.Features, Output = output, Residual = residual?.Features });
        return new SparseTensor(output, map.OutputCoordinates, weights.OutChannels, map.OutputShape, map.BatchSize);
    }
}
