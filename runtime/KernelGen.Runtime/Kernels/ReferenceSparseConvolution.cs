using KernelGen;
using KernelGen.KernelMaps;
using KernelGen.Tensors;

namespace KernelGen.Kernels;

/// <summary>
/// The sparse conv on the CPU with double accumulation, straight from the kernel map: what the CLI and the demo check
/// accelerated kernels against (tests use an independent dense conv3d instead).
/// </summary>
public static class ReferenceSparseConvolution
{
    /// <summary>Output [M, Cout] in double; <paramref name="residual"/> [M, Cout] is added before the activation.</summary>
    public static double[] Run(SparseTensor input, KernelMap map, ConvWeights weights, Activation activation = Activation.None, float[]? residual = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weights);
        weights.EnsureCompatible(map, input.Channels);
        int cin = weights.InChannels, cout = weights.OutChannels, k = map.KernelVolume;
        var output = new double[(long)map.OutputCount * cout];
        Parallel.For(0, map.OutputCount, row =>
        {
            for (int n = 0; n < cout; n++)
            {
                double sum = weights.Bias?[n] ?? 0.0;
                for (int offset = 0; offset < k; offset++)
                {
                    int source = map.OutIn[row * k + offset];
                    if (source < 0)
                    {
                        continue;
                    }
                    for (int c = 0; c < cin; c++)
                    {
                        sum += (double)input.Features[source * cin + c] * weights.Data[(n * k + offset) * cin + c];
                    }
                }
                sum += residual?[row * cout + n] ?? 0.0;
                output[row * cout + n] = activation == Activation.Relu ? Math.Max(sum, 0.0) : sum;
            }
        });
        return output;
    }
}
