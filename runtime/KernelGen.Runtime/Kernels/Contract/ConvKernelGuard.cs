using KernelGen.Variants;

namespace KernelGen.Kernels;

/// <summary>The checks every <see cref="IConvKernel"/> makes before it runs, in one place so kernels cannot differ.</summary>
public static class ConvKernelGuard
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
        var weights = call.Weights?.Float ?? throw new ArgumentException($"{kernel.Name}: the call has no weights");
        if (weights.InChannels != layer.InChannels || weights.OutChannels != layer.OutChannels || weights.Kernel != layer.Geometry.Kernel)
        {
            throw new ArgumentException(
                $"{kernel.Name}: {layer.Name} needs weights [Cout={layer.OutChannels}, {layer.Geometry.Kernel.Z}, {layer.Geometry.Kernel.Y}, {layer.Geometry.Kernel.X}, Cin={layer.InChannels}], " +
                $"got [Cout={weights.OutChannels}, {weights.Kernel.Z}, {weights.Kernel.Y}, {weights.Kernel.X}, Cin={weights.InChannels}]");
        }
        call.Validate(layer.Geometry, kernel.Name);
        var capabilities = kernel.Capabilities;
        if (!capabilities.Covers(KernelNeeds.Of(capabilities.Precision, call), out var missing))
        {
            throw new NotSupportedException($"{kernel.Name} does not support {missing}; it declares: {capabilities.Describe()}");
        }
        if (capabilities.Precision == Precision.W8A8)
        {
            var int8 = call.Weights.RequireInt8(kernel.Name);
            if (capabilities.SmoothQuant != int8.Smoothing is not null)
            {
                throw new ArgumentException(capabilities.SmoothQuant
                    ? $"{kernel.Name} fuses SmoothQuant: its weights need smoothing factors"
                    : $"{kernel.Name} has no SmoothQuant prologue: its weights must be quantized without smoothing factors");
            }
        }
    }
}
