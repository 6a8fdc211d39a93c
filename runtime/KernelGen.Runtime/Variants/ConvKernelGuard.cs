using KernelGen.Kernels;

namespace KernelGen.Variants;

/// <summary>The checks every <see cref="IConvKernel"/> makes before it runs, in one place so kernels cannot differ.</summary>
internal static class ConvKernelGuard
{
    /// <summary>
    /// Throws when <paramref name="call"/> does not fit <paramref name="layer"/> (weights of another shape, a kernel map of
    /// another geometry, wrong tensor lengths) or needs a feature <paramref name="kernel"/> does not declare.
    /// </summary>
    public static void Validate(IConvKernel kernel, LayerDescriptor layer, ConvCall call)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(call);
        CheckWeights(kernel, layer, call.Weights);
        call.Validate(layer.Geometry, kernel.Name);
        CheckCapabilities(kernel, KernelNeeds.Of(kernel.Capabilities.Precision, call), call.Weights);
        // fp16 operands: a feature past fp16's range would enter the kernel as ∞ (refused, not clamped: the output
        // would be wrong without a word). Device-resident runs check it on the device (DeviceResidentExecutor).
        if (kernel.Capabilities.Precision == Precision.F16)
        {
            CheckFp16Weights(call.Weights);
            if (call.Input is { } input && Fp16Range.FirstBeyond(input, layer.InChannels) is { } beyond)
            {
                throw new ArgumentException(Fp16Range.Beyond("input feature", beyond.Value, $"row {beyond.Row}, channel {beyond.Channel}"));
            }
        }
    }

    private static void CheckFp16Weights(LayerWeights weights)
    {
        if (weights.BeyondFp16 is { Length: > 0 } problem)
        {
            throw new ArgumentException(problem);
        }
    }

    /// <summary>
    /// The same checks for a launch on device-resident tensors, and that the kernel runs on an accelerator at all (a
    /// host kernel takes host arrays through <see cref="IConvKernel.Run"/>).
    /// </summary>
    public static void Validate(IConvKernel kernel, LayerDescriptor layer, DeviceConvCall call)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(call);
        if (kernel.Capabilities.Device != KernelDevice.AnyAccelerator)
        {
            throw new NotSupportedException($"{kernel.Name} runs on the host: it takes host arrays (Run), not device-resident tensors (Launch)");
        }
        CheckWeights(kernel, layer, call.Weights);
        call.Validate(layer.Geometry, kernel.Name);
        CheckCapabilities(kernel, call.Needs(kernel.Capabilities.Precision), call.Weights);
        if (kernel.Capabilities.Precision == Precision.F16)
        {
            CheckFp16Weights(call.Weights);
        }
    }

    private static void CheckWeights(IConvKernel kernel, LayerDescriptor layer, LayerWeights? prepared)
    {
        var weights = prepared?.Float ?? throw new ArgumentException($"{kernel.Name}: the call has no weights");
        if (weights.InChannels != layer.InChannels || weights.OutChannels != layer.OutChannels || weights.Kernel != layer.Geometry.Kernel)
        {
            throw new ArgumentException(
                $"{kernel.Name}: {layer.Name} needs weights [Cout={layer.OutChannels}, {layer.Geometry.Kernel.Z}, {layer.Geometry.Kernel.Y}, {layer.Geometry.Kernel.X}, Cin={layer.InChannels}], " +
                $"got [Cout={weights.OutChannels}, {weights.Kernel.Z}, {weights.Kernel.Y}, {weights.Kernel.X}, Cin={weights.InChannels}]");
        }
    }

    private static void CheckCapabilities(IConvKernel kernel, KernelNeeds needs, LayerWeights weights)
    {
        var capabilities = kernel.Capabilities;
        if (!capabilities.Covers(needs, out var missing))
        {
            throw new NotSupportedException($"{kernel.Name} does not support {missing}; it declares: {capabilities.Describe()}");
        }
        if (capabilities.Precision == Precision.W8A8)
        {
            var int8 = weights.RequireInt8(kernel.Name);
            if (capabilities.SmoothQuant != int8.Smoothing is not null)
            {
                throw new ArgumentException(capabilities.SmoothQuant
                    ? $"{kernel.Name} fuses SmoothQuant: its weights need smoothing factors"
                    : $"{kernel.Name} has no SmoothQuant prologue: its weights must be quantized without smoothing factors");
            }
        }
    }
}
