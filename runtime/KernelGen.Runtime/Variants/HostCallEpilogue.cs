using ILGPU.Runtime;
using KernelGen.Accelerators;
using KernelGen.Kernels;

namespace KernelGen.Variants;

/// <summary>
/// A host <see cref="ConvCall"/>'s epilogue tensors on an accelerator: uploads what the epilogue reads (scales, bias,
/// residual, multipliers), allocates the output, and hands back the copy of the output to the call's host array.
/// </summary>
internal static class HostCallEpilogue
{
    /// <summary>
    /// The device epilogue of <paramref name="call"/>; <paramref name="download"/> copies the output back and waits.
    /// The fp32 output buffer starts as the call's array, so a kernel that skips an element leaves what was there.
    /// </summary>
    public static GpuEpilogue Upload(DeviceBuffers buffers, ConvCall call, float[] dequantizeScales, float[] bias, out Action<AcceleratorStream> download)
    {
        var output = buffers.Copy(call.Output ?? []);
        var output8 = buffers.Copy(call.OutputInt8 ?? []);
        download = stream =>
        {
            if (call.Output is { } fp32)
            {
                output.View.SubView(0, fp32.LongLength).CopyToCPU(stream, fp32);
            }
            else
            {
                output8.View.SubView(0, call.OutputInt8!.LongLength).CopyToCPU(stream, call.OutputInt8);
            }
            stream.Synchronize();
        };
        return new GpuEpilogue
        {
            Rows = call.Map.OutputCount,
            DequantizeScales = buffers.Copy(dequantizeScales).View,
            Bias = buffers.Copy(bias).View,
            HasResidual = call.Residual is null ? 0 : 1,
            Residual = buffers.Copy(call.Residual ?? []).View,
            WriteInt8 = call.OutputInt8 is null ? 0 : 1,
            Output = output.View,
            OutputInt8 = output8.View,
            OutputMultipliers = buffers.Copy(call.OutputMultipliers ?? []).View,
        };
    }
}
