using ILGPU.Runtime;
using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Quantization;
using KernelGen.Tensors;

namespace KernelGen.Variants;

/// <summary>
/// Everything one call of a generated fp32 CPU kernel reads and writes. The epilogue's members have the names of
/// <see cref="GpuEpilogue"/>'s, so the shared epilogue is the same text on the host and on an accelerator.
/// </summary>
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

/// <summary>
/// A generated fp32 CPU SIMD variant: plain C# over arrays with <c>Vector256</c>/<c>Vector512</c> FMA, each task a
/// tile of <see cref="TileShape.BlockM"/> output rows, register tiles of 4 rows × a block of output channels.
/// </summary>
public sealed class CpuF32Variant : CpuSimdVariant
{
    private readonly Action<int, CpuF32Call> _rowTile;

    /// <summary>Describes a variant (called by generated code).</summary>
    public CpuF32Variant(string name, TileShape tile, int outChannels, CpuInstructionSet instructionSet, int lanes, Action<int, CpuF32Call> rowTile)
        : base(name, tile, Precision.F32, outChannels, instructionSet, lanes, rowTile) => _rowTile = rowTile;

    /// <inheritdoc />
    protected override KernelCapabilities Declare(LayerDescriptor layer) =>
        new(KernelDevice.Host, Precision.F32, layer.Activation, SmoothQuant: false, Residual: true, Int8Input: false, Int8Output: true, InstructionSet);

    /// <inheritdoc />
    protected override void RunValidated(Accelerator accelerator, ConvCall call)
    {
        EnsureSupported();
        var padded = call.Weights.Packed.PaddedForLanes(Lanes);
        ForEachTask(call.Map.OutputCount, _rowTile, new CpuF32Call
        {
            Features = call.Input!,
            ZeroRow = new float[call.Weights.InChannels],
            OutIn = call.Map.OutIn,
            Weights = padded.Weights,
            Rows = call.Map.OutputCount,
            Bias = padded.Bias,
            Residual = call.Residual ?? [],
            Output = call.Output ?? [],
            OutputInt8 = call.OutputInt8 ?? [],
            OutputMultipliers = call.OutputMultipliers ?? [],
            OutputLow = ActivationFormats.Of(call.OutputFormat).Min,
            OutputHigh = ActivationFormats.Of(call.OutputFormat).Max,
        });
    }
}
