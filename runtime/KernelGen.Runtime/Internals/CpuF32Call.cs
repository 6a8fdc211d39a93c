using System.ComponentModel;
using ILGPU.Runtime;
using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Quantization;
using KernelGen.Tensors;

namespace KernelGen.__Internals;

/// <summary>
/// Everything one call of a generated fp32 CPU kernel reads and writes. The epilogue's members have the names of
/// <see cref="GpuEpilogue"/>'s, so the shared epilogue is the same text on the host and on an accelerator.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class CpuF32Call
{
    /// <summary>Input features [N, Cin].</summary>
    public required float[] Features { get; init; }

    /// <summary>Cin zeros: the row a missing neighbour reads, so the inner loop has no branch.</summary>
    public required float[] ZeroRow { get; init; }

    /// <summary>The kernel map [M, K].</summary>
    public required int[] OutIn { get; init; }

    /// <summary>Weights [K, Cin, CoutPadded] (padded for the vector width).</summary>
    public required float[] Weights { get; init; }

    /// <summary>Output rows M.</summary>
    public required int Rows { get; init; }

    /// <summary>Bias [CoutPadded] (zeros when the layer has none).</summary>
    public required float[] Bias { get; init; }

    /// <summary>1: add <see cref="Residual"/> before the activation.</summary>
    public int HasResidual => Residual.Length == 0 ? 0 : 1;

    /// <summary>Residual [M, Cout], or empty.</summary>
    public float[] Residual { get; init; } = [];

    /// <summary>1: write <see cref="OutputInt8"/> requantized with <see cref="OutputMultipliers"/>; 0: write <see cref="Output"/>.</summary>
    public int WriteInt8 => OutputInt8.Length == 0 ? 0 : 1;

    /// <summary>fp32 output [M, Cout], or empty.</summary>
    public float[] Output { get; init; } = [];

    /// <summary>int8 output [M, Cout] for an int8 layer that follows, or empty.</summary>
    public sbyte[] OutputInt8 { get; init; } = [];

    /// <summary>Per output channel m_n = 1 / (s'_n · s'_x) of the consuming layer, or empty.</summary>
    public float[] OutputMultipliers { get; init; } = [];

    /// <summary>The smallest code of the consuming layer's activation format (s8: −127, u8: 0).</summary>
    public int OutputLow { get; init; } = -127;

    /// <summary>The largest code of the consuming layer's activation format (s8: 127, u8: 255).</summary>
    public int OutputHigh { get; init; } = 127;
}
