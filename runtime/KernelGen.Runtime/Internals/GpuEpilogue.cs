using System.ComponentModel;
using ILGPU;

namespace KernelGen.__Internals;

/// <summary>
/// What the shared epilogue of a generated ILGPU kernel reads and writes (templates/shared/epilogue.sbncs), passed by
/// value: <c>acc → dequantize (W8A8) → + bias → + residual → activation → fp32 out, or int8 out requantized per
/// channel</c>. The host kernels read the same member names from <see cref="CpuF32Call"/> and <see cref="CpuW8A8Call"/>,
/// so every family runs the same epilogue text. Views that a call does not use hold one dummy element.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public struct GpuEpilogue
{
    /// <summary>Output rows M: elements past it are not written.</summary>
    public int Rows;

    /// <summary>W8A8: fp32(s_x · s_w[n]) per output channel.</summary>
    public ArrayView<float> DequantizeScales;

    /// <summary>Bias [Cout] (read only when the layer has one).</summary>
    public ArrayView<float> Bias;

    /// <summary>1: add <see cref="Residual"/> before the activation.</summary>
    public int HasResidual;

    /// <summary>Residual [M, Cout].</summary>
    public ArrayView<float> Residual;

    /// <summary>1: the residual is <see cref="ResidualHalf"/> (fp16 bits) instead of <see cref="Residual"/>.</summary>
    public int HalfResidual;

    /// <summary>fp16 residual [M, Cout] as half bits.</summary>
    public ArrayView<ushort> ResidualHalf;

    /// <summary>1: write <see cref="OutputHalf"/> (fp16 bits, rounded to nearest even) instead of <see cref="Output"/>.</summary>
    public int WriteHalf;

    /// <summary>fp16 output [M, Cout] as half bits, the next fp16 layer's input.</summary>
    public ArrayView<ushort> OutputHalf;

    /// <summary>1: write <see cref="OutputInt8"/> requantized with <see cref="OutputMultipliers"/>; 0: write <see cref="Output"/>.</summary>
    public int WriteInt8;

    /// <summary>fp32 output [M, Cout].</summary>
    public ArrayView<float> Output;

    /// <summary>int8 output [M, Cout], the next layer's quantized input.</summary>
    public ArrayView<sbyte> OutputInt8;

    /// <summary>Per output channel m_n = 1 / (s'_n · s'_x) of the consuming layer.</summary>
    public ArrayView<float> OutputMultipliers;

    /// <summary>The smallest code of the consuming layer's activation format (s8: −127, u8: 0).</summary>
    public int OutputLow;

    /// <summary>The largest code of the consuming layer's activation format (s8: 127, u8: 255).</summary>
    public int OutputHigh;

    /// <summary>The epilogue of a launch on device-resident tensors; views the call does not use are one-element stand-ins.</summary>
    internal static GpuEpilogue Of(ILGPU.Runtime.Accelerator accelerator, Kernels.DeviceConvCall call, ArrayView<float> dequantizeScales, ArrayView<float> bias)
    {
        var floats = Accelerators.DeviceScratch.Floats(accelerator);
        var codes = Quantization.ActivationFormats.Of(call.OutputFormat);
        return new GpuEpilogue
        {
            Rows = call.Map.OutputCount,
            DequantizeScales = dequantizeScales,
            Bias = bias,
            HasResidual = call.Residual is null && call.ResidualHalf is null ? 0 : 1,
            Residual = call.Residual ?? floats,
            HalfResidual = call.ResidualHalf is null ? 0 : 1,
            ResidualHalf = call.ResidualHalf ?? Accelerators.DeviceScratch.Halves(accelerator),
            WriteHalf = call.OutputHalf is null ? 0 : 1,
            OutputHalf = call.OutputHalf ?? Accelerators.DeviceScratch.Halves(accelerator),
            WriteInt8 = call.OutputInt8 is null ? 0 : 1,
            Output = call.Output ?? floats,
            OutputInt8 = call.OutputInt8 ?? Accelerators.DeviceScratch.Bytes(accelerator),
            OutputMultipliers = call.OutputMultipliers ?? floats,
            OutputLow = codes.Min,
            OutputHigh = codes.Max,
        };
    }
}
