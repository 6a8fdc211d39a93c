using KernelGen.__Internals;

namespace KernelGen.Quantization;

/// <summary>What one <see cref="ActivationFormat"/> means to the kernels.</summary>
/// <param name="Format">The format.</param>
/// <param name="Min">The smallest code.</param>
/// <param name="Max">The largest code: s_x = T / Max for a clipping threshold T.</param>
/// <param name="OperandZero">
/// The byte the CPU int8 kernels store for code 0: they multiply unsigned bytes (VPDPBUSD is unsigned × signed), so a
/// signed code q is stored as q + 128 and the sum corrected by 128 · Σw; an unsigned code is stored as it is.
/// </param>
/// <param name="Code">The ILGPU kernels' policy struct (<see cref="IActivationCode"/>): quantize, dot product and
/// tensor-core multiply for this format; every int8 ILGPU kernel is instantiated once per row.</param>
/// <param name="Text">For reports, e.g. <c>u8</c>.</param>
public sealed record ActivationFormatInfo(ActivationFormat Format, int Min, int Max, int OperandZero, Type Code, string Text);

/// <summary>
/// The table of activation formats (a new format is a row here, an enum member, and its <see cref="IActivationCode"/>),
/// and the rule that picks one for a node.
/// </summary>
public static class ActivationFormats
{
    /// <summary>Every format, <see cref="ActivationFormat.S8"/> first.</summary>
    public static IReadOnlyList<ActivationFormatInfo> All { get; } =
    [
        new(ActivationFormat.S8, -127, 127, 128, typeof(S8Code), "s8"),
        new(ActivationFormat.U8, 0, 255, 0, typeof(U8Code), "u8"),
    ];

    /// <summary>The row of <paramref name="format"/>.</summary>
    public static ActivationFormatInfo Of(ActivationFormat format) =>
        All.FirstOrDefault(row => row.Format == format) ?? throw new ArgumentOutOfRangeException(nameof(format), format, "not an activation format");

    /// <summary>
    /// The format of a layer's activations: u8 when its input is known to be non-negative (after a ReLU), else s8 — or
    /// s8 everywhere when <paramref name="unsigned"/> is false (symmetric int8, the format before u8, kept to compare).
    /// </summary>
    public static ActivationFormat For(bool nonNegativeInput, bool unsigned = true) =>
        unsigned && nonNegativeInput ? ActivationFormat.U8 : ActivationFormat.S8;

    /// <summary>The format's name as profiles and reports write it (s8, u8).</summary>
    public static string Name(this ActivationFormat format) => Of(format).Text;

    /// <summary>Parses <see cref="Name"/>'s text; an <see cref="ArgumentException"/> naming the valid ones otherwise.</summary>
    public static ActivationFormat Parse(string text) =>
        All.FirstOrDefault(row => row.Text == text)?.Format
        ?? throw new ArgumentException($"unknown activation format '{IO.OneLine.Of(text)}' (valid: {string.Join(", ", All.Select(r => r.Text))})");
}
