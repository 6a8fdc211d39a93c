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
    /// <summary>VNNI and portable kernels: quantized input [N, Words · 4] as unsigned bytes q + 128 (VPDPBUSD multiplies unsigned × signed).</summary>
    public byte[] Activations { get; init; } = [];

    /// <summary>One row of 128s (q = 0): what a missing neighbour reads.</summary>
    public byte[] ZeroRow { get; init; } = [];

    /// <summary>int16-pair kernels: quantized input [N, Words · 2] ints, each two sign-extended int16 channels (low: even).</summary>
    public int[] ActivationPairs { get; init; } = [];

    /// <summary>One row of zero pairs: what a missing neighbour reads.</summary>
    public int[] ZeroPairs { get; init; } = [];

    /// <summary>
    /// AVX-512BW / AVX2 kernels when no activation is negative (checked per call): input [N, Words · 4] as unsigned bytes
    /// q ∈ [0, 127] for VPMADDUBSW, with the VNNI packing of the weights; empty otherwise.
    /// </summary>
    public byte[] UnsignedActivations { get; init; } = [];

    /// <summary>One row of zero bytes: what a missing neighbour reads on the unsigned path.</summary>
    public byte[] ZeroUnsigned { get; init; } = [];

    /// <summary>int16-pair kernels: weights [K, Words · 2, CoutPadded], each int two sign-extended int16 input channels.</summary>
    public int[] WeightPairs { get; init; } = [];

    /// <summary>The kernel map [M, K].</summary>
    public required int[] OutIn { get; init; }

    /// <summary>VNNI and portable kernels: packed int8 weights [K, Words, CoutPadded] (four input channels per int).</summary>
    public int[] Weights { get; init; } = [];

    /// <summary>Σ_c W[n, k, c] [K, CoutPadded]: 128 × these undo the +128 shift of the activations.</summary>
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

    /// <summary>int8 output [M, Cout] for the next int8 layer, or empty.</summary>
    public sbyte[] OutputInt8 { get; init; } = [];

    /// <summary>Per output channel m_n = 1 / (s'_n · s'_x) of the consuming layer, or empty.</summary>
    public float[] OutputMultipliers { get; init; } = [];

    /// <summary>The int32 sums before the epilogue [M, Cout], or null (tests read them to check bit-exactness).</summary>
    public int[]? Accumulators { get; init; }
}

/// <summary>
/// A generated W8A8 CPU SIMD variant: the prologue quantizes (and smooths) every input row once, the GEMM accumulates
/// int32 sums in register tiles of 4 rows × a block of output channels — 256-bit VNNI on unsigned bytes q + 128
/// (<c>AvxVnni.MultiplyWideningAndAdd</c>; the epilogue removes the shift), or, on CPUs without VNNI, AVX-512BW / AVX2
/// <c>MultiplyAddAdjacent</c> on sign-extended int16 pairs (exact), or the portable scalar fallback — and the shared
/// epilogue dequantizes, adds bias and residual, applies the activation and writes fp32 or requantized int8.
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
        int words = weights.InChannelWords;
        // The prologue: fp32 input quantized (and smoothed) once per row; int8 input from the previous layer's epilogue
        // only shifted to the unsigned operand VPDPBUSD reads. The int16-pair kernels read the same values widened.
        var shifted = call.InputInt8 is { } int8
            ? Int8Prologue.Shift(int8, weights.InChannels, words)
            : Int8Prologue.QuantizeShifted(call.Input!, weights.ActivationMultipliers, words);
        bool pairs = Int16Pairs;
        // Without VNNI, a ReLU-fed input (no negative q) takes the unsigned-byte path: twice the int16 path's products
        // per instruction, still exact. A signed input (e.g. raw x, y, z) takes the int16 pairs.
        byte[]? unsigned = pairs && Int8Prologue.TryUnshift(shifted, out var u) ? u : null;
        var bytePacking = pairs && unsigned is null ? null : weights.PaddedForLanes(Lanes);
        var pairPacking = pairs && unsigned is null ? weights.PairsForLanes(Lanes) : null;
        ForEachTask(call.Map.OutputCount, _rowTile, new CpuW8A8Call
        {
            Activations = pairs ? [] : shifted,
            ZeroRow = pairs ? [] : Enumerable.Repeat((byte)128, words * 4).ToArray(),
            UnsignedActivations = unsigned ?? [],
            ZeroUnsigned = unsigned is null ? [] : new byte[words * 4],
            Weights = bytePacking?.Weights ?? [],
            WeightSums = bytePacking?.WeightSums ?? [],
            ActivationPairs = pairPacking is null ? [] : Int8Prologue.WidenToPairs(shifted),
            ZeroPairs = pairPacking is null ? [] : new int[words * 2],
            WeightPairs = pairPacking?.Weights ?? [],
            OutIn = call.Map.OutIn,
            Rows = call.Map.OutputCount,
            DequantizeScales = pairPacking?.DequantizeScales ?? bytePacking!.DequantizeScales,
            Bias = pairPacking?.Bias ?? bytePacking!.Bias,
            Residual = call.Residual ?? [],
            Output = call.Output ?? [],
            OutputInt8 = call.OutputInt8 ?? [],
            OutputMultipliers = call.OutputMultipliers ?? [],
            Accumulators = call.Accumulators,
        });
    }

    /// <summary>
    /// Whether the kernel reads sign-extended int16 pairs (VPMADDWD: the AVX-512BW and AVX2 paths) rather than shifted
    /// bytes (VNNI and portable): declared by its instruction set.
    /// </summary>
    public bool Int16Pairs => KernelFamilies.PathOf(InstructionSet).Operands == "Pairs";
}
