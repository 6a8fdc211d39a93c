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

/// <summary>
/// A generated W8A8 CPU SIMD variant: the prologue quantizes (and smooths) every input row once to the layer's activation
/// codes (s8, or u8 where the input is never negative), the GEMM accumulates int32 sums in register tiles of 4 rows × a
/// block of output channels — 256-bit VNNI on unsigned operand bytes (<c>AvxVnni.MultiplyWideningAndAdd</c>: u8 codes
/// directly; s8 codes + 128, the epilogue removing the shift), or, on CPUs without VNNI, AVX-512BW / AVX2
/// <c>MultiplyAddAdjacent</c> on int16 pairs (exact for both formats: VPMADDUBSW would saturate on 255 × 127 pairs), or the
/// portable scalar fallback — and the shared epilogue dequantizes, adds bias and residual, applies the activation and
/// writes fp32 or requantized 8-bit codes.
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
    /// <remarks>
    /// The whole shared epilogue and int8 chaining: residual, int8 input, int8 output with per-channel requantization;
    /// and the int32 sums before the epilogue when the call asks for them (<see cref="ConvCall.Accumulators"/>).
    /// </remarks>
    protected override KernelCapabilities Declare(LayerDescriptor layer) =>
        new(KernelDevice.Host, Precision.W8A8, layer.Activation, SmoothQuant, Residual: true, Int8Input: true, Int8Output: true, InstructionSet,
            Accumulators: true);

    /// <inheritdoc />
    protected override void RunValidated(Accelerator accelerator, ConvCall call)
    {
        EnsureSupported();
        var weights = call.Weights.Int8!;
        int words = weights.InChannelWords;
        var codes = ActivationFormats.Of(weights.Format);
        // The prologue: fp32 input quantized (and smoothed) once per row; 8-bit input from the previous layer's epilogue
        // only shifted to the unsigned operand VPDPBUSD reads. The int16-pair kernels read the same codes widened.
        var operands = call.InputInt8 is { } int8
            ? Int8Prologue.FromInt8(int8, weights.InChannels, words, weights.Format)
            : Int8Prologue.Quantize(call.Input!, weights.ActivationMultipliers, words, weights.Format);
        bool pairs = Int16Pairs;
        var bytePacking = pairs ? null : weights.PaddedForLanes(Lanes);
        var pairPacking = pairs ? weights.PairsForLanes(Lanes) : null;
        var output = ActivationFormats.Of(call.OutputFormat);
        ForEachTask(call.Map.OutputCount, _rowTile, new CpuW8A8Call
        {
            Activations = pairs ? [] : operands,
            ZeroRow = pairs ? [] : Enumerable.Repeat((byte)codes.OperandZero, words * 4).ToArray(),
            OperandZero = codes.OperandZero,
            Weights = bytePacking?.Weights ?? [],
            WeightSums = bytePacking?.WeightSums ?? [],
            ActivationPairs = pairs ? Int8Prologue.WidenToPairs(operands, codes.OperandZero) : [],
            ZeroPairs = pairs ? new int[words * 2] : [],
            WeightPairs = pairPacking?.Weights ?? [],
            OutIn = call.Map.OutIn,
            Rows = call.Map.OutputCount,
            DequantizeScales = pairPacking?.DequantizeScales ?? bytePacking!.DequantizeScales,
            Bias = pairPacking?.Bias ?? bytePacking!.Bias,
            Residual = call.Residual ?? [],
            Output = call.Output ?? [],
            OutputInt8 = call.OutputInt8 ?? [],
            OutputMultipliers = call.OutputMultipliers ?? [],
            OutputLow = output.Min,
            OutputHigh = output.Max,
            Accumulators = call.Accumulators,
        });
    }

    /// <summary>
    /// Whether the kernel reads int16 pairs (VPMADDWD: the AVX-512BW and AVX2 paths) rather than operand bytes (VNNI
    /// and portable): the kernel table's row of its instruction set.
    /// </summary>
    public bool Int16Pairs => KernelFamilies.PathOf(InstructionSet).Operands == "Pairs";
}
