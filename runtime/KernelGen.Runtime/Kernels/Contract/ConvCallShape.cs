using KernelGen.KernelMaps;

namespace KernelGen.Kernels;

/// <summary>
/// The shape checks every layer call gets, whether its tensors are host arrays (<see cref="ConvCall"/>) or device views
/// (<see cref="DeviceConvCall"/>): one input and one output, each of the length the kernel map and the weights imply,
/// a residual of the output's length, per-channel multipliers exactly with int8 output, and a map built for the layer.
/// </summary>
internal static class ConvCallShape
{
    /// <summary>
    /// Throws an <see cref="ArgumentException"/> naming <paramref name="kernelName"/> and the tensor. Lengths are null for
    /// tensors the call does not give. With <paramref name="deviceViews"/>, a view of one element stands for an empty
    /// tensor (ILGPU views need one).
    /// </summary>
    public static void Check(
        string kernelName, ConvGeometry layerGeometry, KernelMap map, LayerWeights weights, long? input, long? inputInt8,
        long? output, long? outputInt8, long? residual, long? outputMultipliers, bool deviceViews = false)
    {
        if (!map.Geometry.SameConvolutionAs(layerGeometry))
        {
            throw new ArgumentException($"{kernelName}: the kernel map was built for {map.Geometry} but the layer is {layerGeometry}");
        }
        if ((input is null) == (inputInt8 is null))
        {
            throw new ArgumentException($"{kernelName}: give exactly one input, fp32 or int8");
        }
        if ((output is null) == (outputInt8 is null))
        {
            throw new ArgumentException($"{kernelName}: give exactly one output, fp32 or int8");
        }
        int cin = weights.InChannels, cout = weights.OutChannels;
        long elements = (long)map.OutputCount * cout;
        Expect(input ?? inputInt8!.Value, (long)map.InputCount * cin, $"input must hold [N={map.InputCount}, Cin={cin}] values (the kernel map's input rows)");
        Expect(output ?? outputInt8!.Value, elements, $"output must hold [M={map.OutputCount}, Cout={cout}] values");
        if (residual is { } residualLength)
        {
            Expect(residualLength, elements, $"residual must hold [M={map.OutputCount}, Cout={cout}] values");
        }
        if (outputInt8 is not null && outputMultipliers != cout)
        {
            throw new ArgumentException($"{kernelName}: int8 output needs {cout} per-channel output multipliers, got {outputMultipliers?.ToString() ?? "none"}");
        }
        if (outputInt8 is null && outputMultipliers is not null)
        {
            throw new ArgumentException($"{kernelName}: output multipliers are given but the output is fp32");
        }

        void Expect(long length, long expected, string what)
        {
            if (length != expected && !(deviceViews && expected == 0 && length == 1))
            {
                throw new ArgumentException($"{kernelName}: {what}, got {length}");
            }
        }
    }
}
