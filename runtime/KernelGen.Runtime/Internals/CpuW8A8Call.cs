using System.ComponentModel;
using ILGPU.Runtime;
using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Quantization;
using KernelGen.Tensors;

namespace KernelGen.__Internals;

/// <summary>
/// Everything one call of a generated W8A8 CPU kernel reads and writes. The epilogue's members have the names of
/// <see cref="GpuEpilogue"/>'s, so the shared epilogue is the same text on the host and on an accelerator.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class CpuW8A8Call
{
    /// <summary>
    /// VNNI and portable kernels: quantized input [N, Words · 4] as the unsigned bytes b = q + <see cref="OperandZero"/>
    /// (VPDPBUSD multiplies unsigned × signed): s8 codes shifted by 128, u8 codes as they are.
    /// </summary>
    public byte[] Activations { get; init; } = [];

    /// <summary>One row of code 0 (bytes of <see cref="OperandZero"/>): what a missing neighbour reads.</summary>
    public byte[] ZeroRow { get; init; } = [];

    /// <summary>The byte stored for code 0: 128 for s8 activations (the sums are corrected by 128 · Σw), 0 for u8 (no correction).</summary>
    public int OperandZero { get; init; }

    /// <summary>int16-pair kernels: quantized input [N, Words · 2] ints, each two int16 codes (low: even channel).</summary>
    public int[] ActivationPairs { get; init; } = [];

    /// <summary>One row of zero pairs: what a missing neighbour reads.</summary>
    public int[] ZeroPairs { get; init; } = [];

    /// <summary>int16-pair kernels: weights [K, Words · 2, CoutPadded], each int two sign-extended int16 input channels.</summary>
    public int[] WeightPairs { get; init; } = [];

    /// <summary>The kernel map [M, K].</summary>
    public required int[] OutIn { get; init; }

    /// <summary>VNNI and portable kernels: packed int8 weights [K, Words, CoutPadded] (four input channels per int).</summary>
    public int[] Weights { get; init; } = [];

    /// <summary>Σ_c W[n, k, c] [K, CoutPadded]: <see cref="OperandZero"/> × these undo the shift of s8 activations.</summary>
    public int[] WeightSums { get; init; } = [];

    /// <summary>Output rows M.</summary>
    public required int Rows { get; init; }

    /// <summary>fp32(s_x · s_w[n]) [CoutPadded].</summary>
    public required float[] DequantizeScales { get; init; }

    /// <summary>Bias [CoutPadded].</summary>
    public required float[] Bias { get; init; }

    /// <summary>1: add <see cref="Residual"/> before the activation.</summary>
    public int HasResidual => Residual.Length == 0 ? 0 : 1;

    /// <summary>Residual [M, Cout], or empty.</summary>
    public float[] Residual { get; init; } = [];

    /// <summary>1: write <see cref="OutputInt8"/> requantized with <see cref="OutputMultipliers"/>; 0: write <see cref="Output"/>.</summary>
    public int WriteInt8 => OutputInt8.Length == 0 ? 0 : 1;

    /// <summary>fp32 output [M, Cout], or empty.</summary>
    public float[] Output { get; init; } = [];

    /// <summary>8-bit output [M, Cout] for the next int8 layer (its format's codes), or empty.</summary>
    public sbyte[] OutputInt8 { get; init; } = [];

    /// <summary>Per output channel m_n = 1 / (s'_n · s'_x) of the consuming layer, or empty.</summary>
    public float[] OutputMultipliers { get; init; } = [];

    /// <summary>The smallest code of the consuming layer's activation format (s8: −127, u8: 0).</summary>
    public int OutputLow { get; init; } = -127;

    /// <summary>The largest code of the consuming layer's activation format (s8: 127, u8: 255).</summary>
    public int OutputHigh { get; init; } = 127;

    /// <summary>The int32 sums before the epilogue [M, Cout], or null (tests read them to check bit-exactness).</summary>
    public int[]? Accumulators { get; init; }
}
