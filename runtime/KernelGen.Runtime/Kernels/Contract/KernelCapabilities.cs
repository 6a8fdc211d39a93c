
namespace KernelGen.Kernels;

/// <summary>Where a kernel's code runs.</summary>
public enum KernelDevice
{
    /// <summary>An ILGPU kernel: runs on any accelerator (CUDA, or ILGPU's CPU accelerator).</summary>
    AnyAccelerator,

    /// <summary>Plain C# on the host: a candidate only where the layer runs on ILGPU's CPU accelerator.</summary>
    Host,
}

/// <summary>
/// What a kernel declares it can do. The epilogue every kernel implements (docs/LIBRARY.md "The kernel contract"):
/// <c>acc → dequantize (W8A8) → + bias → + residual → activation → fp32 out, or int8 out requantized with per-channel
/// multipliers</c>; a kernel declares which optional parts (residual, int8 input, int8 output) it has.
/// </summary>
/// <param name="Device">Where it runs.</param>
/// <param name="Precision">Its arithmetic: fp32, fp16 operands with fp32 sums (F16), or int8 × int8 → int32 (W8A8).</param>
/// <param name="Activation">The activation its epilogue applies (the layer's).</param>
/// <param name="SmoothQuant">W8A8: whether its prologue divides activations by SmoothQuant factors.</param>
/// <param name="Residual">Whether it adds a residual [M, Cout] before the activation.</param>
/// <param name="Int8Input">W8A8: whether it reads int8 input produced by the previous layer's int8 epilogue.</param>
/// <param name="Int8Output">W8A8: whether it writes int8 output requantized with per-channel multipliers.</param>
/// <param name="InstructionSet">Host kernels: the CPU instructions it needs; null for ILGPU kernels.</param>
/// <param name="Accumulators">
/// W8A8: whether it writes the int32 sums before the epilogue into <see cref="ConvCall.Accumulators"/> when a call gives
/// that array (the CPU W8A8 kernels do, for tests and exact-integer checks). A call that gives it to a kernel that does
/// not is refused rather than left unwritten.
/// </param>
/// <param name="HalfTensors">
/// F16 on a device: whether it reads its input (and residual) as fp16 tensors and writes an fp16 output when a
/// <see cref="DeviceConvCall"/> gives them — half the bytes gathered between fp16 layers. Others refuse such calls.
/// </param>
public sealed record KernelCapabilities(
    KernelDevice Device, Precision Precision, Activation Activation, bool SmoothQuant, bool Residual, bool Int8Input, bool Int8Output,
    CpuInstructionSet? InstructionSet = null, bool Accumulators = false, bool HalfTensors = false)
{
    /// <summary>Whether the kernel can serve <paramref name="needs"/>, and which declared feature is missing.</summary>
    public bool Covers(KernelNeeds needs, out string? missing)
    {
        ArgumentNullException.ThrowIfNull(needs);
        missing = needs.Precision != Precision ? $"{needs.Precision} arithmetic (it is {Precision})"
            : needs.Residual && !Residual ? "a residual input"
            : needs.Int8Input && !Int8Input ? "int8 input"
            : needs.Int8Output && !Int8Output ? "int8 output with per-channel requantization"
            : needs.Accumulators && !Accumulators ? "the int32 sums before the epilogue (ConvCall.Accumulators)"
            : needs.HalfTensors && !HalfTensors ? "fp16 tensors in and out (DeviceConvCall.InputHalf, OutputHalf, ResidualHalf)"
            : null;
        return missing is null;
    }

    /// <summary>The declared features, for messages and reports, e.g. <c>W8A8, SmoothQuant, residual, int8 in/out</c>.</summary>
    public string Describe()
    {
        var parts = new List<string> { InstructionSet is { } set ? $"host {set}" : "ILGPU", Precision.ToString(), Activation.ToString() };
        if (SmoothQuant)
        {
            parts.Add("SmoothQuant");
        }
        if (Residual)
        {
            parts.Add("residual");
        }
        if (Int8Input)
        {
            parts.Add("int8 in");
        }
        if (Int8Output)
        {
            parts.Add("int8 out");
        }
        if (Accumulators)
        {
            parts.Add("int32 sums");
        }
        if (HalfTensors)
        {
            parts.Add("fp16 tensors");
        }
        return string.Join(", ", parts);
    }
}

/// <summary>What one use of a layer needs from its kernel (a network node's precision, residual and int8 chaining).</summary>
/// <param name="Precision">fp32, fp16 or W8A8.</param>
/// <param name="Residual">A residual is added.</param>
/// <param name="Int8Input">The input arrives as int8 from the previous layer.</param>
/// <param name="Int8Output">The output leaves as int8 for the next layer.</param>
/// <param name="Accumulators">The caller asks for the int32 sums before the epilogue.</param>
/// <param name="HalfTensors">The call's input, residual or output is an fp16 tensor on the device.</param>
public sealed record KernelNeeds(Precision Precision, bool Residual = false, bool Int8Input = false, bool Int8Output = false, bool Accumulators = false, bool HalfTensors = false)
{
    /// <summary>What <paramref name="call"/> needs at <paramref name="precision"/>.</summary>
    public static KernelNeeds Of(Precision precision, ConvCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        return new(precision, call.Residual is not null, call.InputInt8 is not null, call.OutputInt8 is not null, call.Accumulators is not null);
    }

    /// <summary>Short text for keys and messages, e.g. <c>W8A8+residual+int8in</c>.</summary>
    public string Text => Precision + (Residual ? "+residual" : "") + (Int8Input ? "+int8in" : "") + (Int8Output ? "+int8out" : "") + (Accumulators ? "+sums" : "") + (HalfTensors ? "+half" : "");
}
