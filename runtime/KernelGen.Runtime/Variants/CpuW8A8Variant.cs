using ILGPU.Runtime;
using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Quantization;
using KernelGen.Tensors;
using KernelGen.__Internals;

namespace KernelGen.Variants;

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
