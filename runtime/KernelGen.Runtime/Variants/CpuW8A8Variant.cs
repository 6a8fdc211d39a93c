using ILGPU.Runtime;
using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Quantization;
using KernelGen.Tensors;

namespace KernelGen.Variants;

/// <summary>
/// Everything one call of a generated W8A8 CPU kernel reads and writes. The epilogue's members have the names of
/// <see cref="GpuEpilogue"/>'s, so the shared epilogue is the same text on the host and on an accelerator.
/// </summary>
public sealed class CpuW8A8Call
{
    /// <summary>Quantized input [N, Words · 4] as unsigned bytes q + 128 (VPDPBUSD multiplies unsigned × signed).</summary>
    public required byte[] Activations { get; init; }

    /// <summary>One row of 128s (q = 0): what a missing neighbour reads.</summary>
    public required byte[] ZeroRow { get; init; }

    /// <summary>The kernel map [M, K].</summary>
    public required int[] OutIn { get; init; }

    /// <summary>Packed int8 weights [K, Words, CoutPadded] (four input channels per int).</summary>
    public required int[] Weights { get; init; }

    /// <summary>Σ_c W[n, k, c] [K, CoutPadded]: 128 × these undo the +128 shift of the activations.</summary>
    public required int[] WeightSums { get; init; }

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

    /// <summary>int8 output [M, Cout] for the next int8 layer, or empty.</summary>
    public sbyte[] OutputInt8 { get; init; } = [];

    /// <summary>Per output channel m_n = 1 / (s'_n · s'_x) of the consuming layer, or empty.</summary>
    public float[] OutputMultipliers { get; init; } = [];

    /// <summary>The int32 sums before the epilogue [M, Cout], or null (tests read them to check bit-exactness).</summary>
    public int[]? Accumulators { get; init; }
}

/// <summary>
/// A generated W8A8 CPU SIMD variant: the prologue quantizes (and smooths) every input row once into unsigned bytes,
/// the GEMM accumulates with 256-bit VNNI (<c>AvxVnni.MultiplyWideningAndAdd</c>, or the portable scalar fallback) in
/// register tiles of 4 rows × a block of output channels, and the epilogue removes the +128 shift, dequantizes, adds
/// bias and residual and applies the activation.
/// </summary>
public sealed class CpuW8A8Variant : CpuSimdVariant
{
    private readonly Action<int, CpuW8A8Call> _rowTile;

    /// <summary>Describes a variant (called by generated code).</summary>
    public CpuW8A8Variant(string name, TileShape tile, int outChannels, bool smoothQuant, CpuInstructionSet instructionSet, int lanes, Action<int, CpuW8A8Call> rowTile)
        : base(name, tile, Precision.W8A8, outChannels, instructionSet, lanes, rowTile)
    {
        SmoothQuant = smoothQuant;
        _rowTile = rowTile;
    }

    /// <summary>Whether the prologue applies SmoothQuant factors.</summary>
    public bool SmoothQuant { get; }

    /// <inheritdoc />
    /// <remarks>The whole shared epilogue and int8 chaining: residual, int8 input, int8 output with per-channel requantization.</remarks>
    protected override KernelCapabilities Declare(LayerDescriptor layer) =>
        new(KernelDevice.Host, Precision.W8A8, layer.Activation, SmoothQuant, Residual: true, Int8Input: true, Int8Output: true, InstructionSet);

    /// <inheritdoc />
    protected override void RunValidated(Accelerator accelerator, ConvCall call)
    {
        EnsureSupported();
        var weights = call.Weights.Int8!;
        var padded = weights.PaddedForLanes(Lanes);
        int words = weights.InChannelWords;
        var zeroRow = new byte[words * 4];
        Array.Fill(zeroRow, (byte)128);
        ForEachTask(call.Map.OutputCount, _rowTile, new CpuW8A8Call
        {
            // The prologue: fp32 input quantized (and smoothed) once per row; int8 input from the previous layer's
            // epilogue only shifted to the unsigned operand VPDPBUSD reads.
            Activations = call.InputInt8 is { } int8
                ? Int8Prologue.Shift(int8, weights.InChannels, words)
                : Int8Prologue.QuantizeShifted(call.Input!, weights.ActivationMultipliers, words),
            ZeroRow = zeroRow,
            OutIn = call.Map.OutIn,
            Weights = padded.Weights,
            WeightSums = padded.WeightSums,
            Rows = call.Map.OutputCount,
            DequantizeScales = padded.DequantizeScales,
            Bias = padded.Bias,
            Residual = call.Residual ?? [],
            Output = call.Output ?? [],
            OutputInt8 = call.OutputInt8 ?? [],
            OutputMultipliers = call.OutputMultipliers ?? [],
            Accumulators = call.Accumulators,
        });
    }
}
