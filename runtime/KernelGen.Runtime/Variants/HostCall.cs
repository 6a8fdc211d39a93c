using ILGPU.Runtime;
using KernelGen.Accelerators;
using KernelGen.Kernels;

namespace KernelGen.Variants;

/// <summary>
/// A host <see cref="ConvCall"/> on an accelerator: its tensors copied into device buffers as a
/// <see cref="DeviceConvCall"/>, so that an ILGPU kernel has one launch for both paths (a host call is a device launch
/// between an upload and a download), and the output copied back.
/// </summary>
internal static class HostCall
{
    /// <summary>
    /// Device copies of <paramref name="call"/>'s tensors in <paramref name="buffers"/>; the weights stay the call's
    /// <see cref="LayerWeights"/> (uploaded once per accelerator). The output buffer starts as a copy of the call's output
    /// array, so a kernel that skips an element leaves what was there (the tests poison it).
    /// </summary>
    public static DeviceConvCall Upload(ConvCall call, DeviceBuffers buffers)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(buffers);
        return new DeviceConvCall
        {
            Map = call.Map,
            OutIn = buffers.Copy(call.Map.OutIn).View,
            Weights = call.Weights,
            Input = call.Input is { } input ? buffers.Copy(input).View : null,
            InputInt8 = call.InputInt8 is { } input8 ? buffers.Copy(input8).View : null,
            Residual = call.Residual is { } residual ? buffers.Copy(residual).View : null,
            Output = call.Output is { } output ? buffers.Copy(output).View : null,
            OutputInt8 = call.OutputInt8 is { } output8 ? buffers.Copy(output8).View : null,
            OutputMultipliers = call.OutputMultipliers is { } multipliers ? buffers.Copy(multipliers).View : null,
            OutputFormat = call.OutputFormat,
        };
    }

    /// <summary>Copies <paramref name="onDevice"/>'s output into <paramref name="call"/>'s output array and waits for it.</summary>
    public static void Download(AcceleratorStream stream, DeviceConvCall onDevice, ConvCall call)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (call.Output is { } output)
        {
            onDevice.Output!.Value.SubView(0, output.LongLength).CopyToCPU(stream, output);
        }
        else
        {
            onDevice.OutputInt8!.Value.SubView(0, call.OutputInt8!.LongLength).CopyToCPU(stream, call.OutputInt8);
        }
        stream.Synchronize();
    }
}
