using ILGPU.Runtime;
using KernelGen.KernelMaps;

namespace KernelGen.Kernels;

/// <summary>
/// A layer's output before its activation, from kernels whose activation is baked in: for a ReLU layer the kernel runs
/// twice, with the weights and their negation (<see cref="ConvWeights.Negated"/>), and <c>relu(z) − relu(−z) = z</c>
/// exactly, one of the two being zero. That holds for W8A8 too: symmetric quantization of −W is exactly −q with the
/// same scales, so the int32 sums and the dequantized outputs negate exactly. Used where calibration needs statistics
/// of z (BatchNorm running statistics, bias correction). The residual is not added.
/// </summary>
internal static class PreActivation
{
    /// <summary>z [rows, Cout] of <paramref name="kernel"/> (run without a residual) on <paramref name="input"/>.</summary>
    public static float[] Of(
        IConvKernel kernel, Accelerator accelerator, KernelMap map, Activation activation, LayerWeights positive, LayerWeights negative, float[] input)
    {
        float[] Conv(LayerWeights weights)
        {
            var output = GC.AllocateUninitializedArray<float>(map.OutputCount * weights.OutChannels);
            kernel.Run(accelerator, new ConvCall { Map = map, Weights = weights, Input = input, Output = output });
            return output;
        }
        var z = Conv(positive);
        if (activation == Activation.Relu)
        {
            var below = Conv(negative);
            for (int j = 0; j < z.Length; j++)
            {
                z[j] -= below[j];
            }
        }
        return z;
    }
}
