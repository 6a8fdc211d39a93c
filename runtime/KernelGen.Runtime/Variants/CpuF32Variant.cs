using ILGPU.Runtime;
using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Quantization;
using KernelGen.Tensors;
using KernelGen.__Internals;

namespace KernelGen.Variants;

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
