using System.Runtime.CompilerServices;
using ILGPU.Runtime;
using KernelGen.Kernels;

namespace KernelGen.Variants;

/// <summary>
/// The generic ILGPU kernels (<see cref="GenericImplicitGemm"/>, <see cref="GenericW8A8ImplicitGemm"/>) behind the
/// kernel contract for one layer: run-time shapes, so they serve any layer (the fp16 one is the fp32 kernel with its
/// operands rounded to fp16); the W8A8 one has the whole epilogue
/// (residual, int8 input, int8 output with per-channel requantization). A candidate like any other in the tuner.
/// </summary>
public sealed class GenericConvKernel : IConvKernel
{
    private static readonly ConditionalWeakTable<Accelerator, GenericImplicitGemm> F32Kernels = new();
    private static readonly ConditionalWeakTable<Accelerator, GenericW8A8ImplicitGemm> W8A8Kernels = new();
    private readonly LayerDescriptor _layer;

    /// <summary>The generic kernel of <paramref name="layer"/> at <paramref name="precision"/>.</summary>
    public GenericConvKernel(LayerDescriptor layer, Precision precision)
    {
        _layer = layer ?? throw new ArgumentNullException(nameof(layer));
        bool w8a8 = precision == Precision.W8A8;
        Name = precision switch { Precision.W8A8 => W8A8Name, Precision.F16 => F16Name, _ => F32Name };
        Capabilities = new KernelCapabilities(
            KernelDevice.AnyAccelerator, precision, layer.Activation, SmoothQuant: w8a8 && layer.SmoothQuant, Residual: true,
            Int8Input: w8a8, Int8Output: w8a8);
    }

    /// <summary>Name of the generic fp32 kernel among a layer's kernels.</summary>
    public const string F32Name = "Generic_F32";

    /// <summary>Name of the generic fp16 kernel (fp16-rounded operands, fp32 sums) among a layer's kernels.</summary>
    public const string F16Name = "Generic_F16";

    /// <summary>Name of the generic W8A8 kernel among a layer's kernels.</summary>
    public const string W8A8Name = "Generic_W8A8";

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public KernelCapabilities Capabilities { get; }

    /// <inheritdoc />
    public KernelShape Shape => KernelShape.Generic;

    /// <inheritdoc />
    public TileShape Tile => default;

    /// <inheritdoc />
    public bool CanRun(Accelerator accelerator, out string? reason)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        reason = null;
        return true;
    }

    /// <inheritdoc />
    public void Run(Accelerator accelerator, ConvCall call)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ConvKernelGuard.Validate(this, _layer, call);
        if (Capabilities.Precision != Precision.W8A8)
        {
            F32Kernels.GetValue(accelerator, a => new GenericImplicitGemm(a))
                .Run(call.Input!, call.Map, call.Weights.Float, _layer.Activation, call.Output!, call.Residual, halfOperands: Capabilities.Precision == Precision.F16);
            return;
        }
        W8A8Kernels.GetValue(accelerator, a => new GenericW8A8ImplicitGemm(a)).Execute(
            call.Input, call.InputInt8, call.Map.InputCount, _layer.InChannels, call.Map, call.Weights.Int8!, _layer.Activation,
            call.Residual, call.Output, call.OutputInt8, call.OutputMultipliers, call.OutputFormat);
    }

    /// <inheritdoc />
    public void Launch(AcceleratorStream stream, DeviceConvCall call)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ConvKernelGuard.Validate(this, _layer, call);
        var accelerator = stream.Accelerator;
        var weights = call.Weights.OnDevice(accelerator);
        var floats = Accelerators.DeviceScratch.Floats(accelerator);
        int rows = call.Map.OutputCount;
        if (Capabilities.Precision != Precision.W8A8)
        {
            var shape = GenericImplicitGemm.ShapeOf(call.Weights.Float, _layer.Activation);
            shape.HasResidual = call.Residual is null ? 0 : 1;
            shape.HalfOperands = Capabilities.Precision == Precision.F16 ? 1 : 0;
            F32Kernels.GetValue(accelerator, a => new GenericImplicitGemm(a))
                .Launch(stream, call.Input!.Value, call.OutIn, weights.Spconv, weights.Bias, call.Output!.Value, shape, rows, call.Residual ?? default);
            return;
        }
        var int8 = call.Weights.Int8!;
        var w8a8 = new W8A8Shape
        {
            InChannels = _layer.InChannels,
            InChannelWords = int8.InChannelWords,
            OutChannels = _layer.OutChannels,
            KernelVolume = call.Map.KernelVolume,
            HasBias = 1,
            Relu = _layer.Activation == Activation.Relu ? 1 : 0,
            HasResidual = call.Residual is null ? 0 : 1,
            Int8Input = call.InputInt8 is null ? 0 : 1,
            WriteInt8 = call.OutputInt8 is null ? 0 : 1,
            OutputLow = Quantization.ActivationFormats.Of(call.OutputFormat).Min,
            OutputHigh = Quantization.ActivationFormats.Of(call.OutputFormat).Max,
            Elements = checked(rows * _layer.OutChannels),
        };
        var bytes = Accelerators.DeviceScratch.Bytes(accelerator);
        W8A8Kernels.GetValue(accelerator, a => new GenericW8A8ImplicitGemm(a)).Launch(
            stream, call.Input ?? floats, call.InputInt8 ?? bytes, call.OutIn, weights.Int8Packed, weights.ActivationMultipliers,
            weights.DequantizeScales, weights.Int8Bias, call.Residual ?? floats, call.Output ?? floats, call.OutputInt8 ?? bytes,
            call.OutputMultipliers ?? floats, w8a8, int8.Format);
    }

    /// <inheritdoc />
    public override string ToString() => Name;
}
