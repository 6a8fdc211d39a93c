using ILGPU.Runtime;
using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Quantization;
using KernelGen.Tensors;

namespace KernelGen.Variants;

/// <summary>Everything one call of a generated fp32 CPU kernel reads and writes.</summary>
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

    /// <summary>Bias [CoutPadded] (zeros when the layer has none).</summary>
    public required float[] Bias { get; init; }

    /// <summary>Residual [M, Cout] added before the activation, or null.</summary>
    public float[]? Residual { get; init; }

    /// <summary>Output [M, Cout].</summary>
    public required float[] Output { get; init; }

    /// <summary>M.</summary>
    public required int Rows { get; init; }
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
        new(KernelDevice.Host, Precision.F32, layer.Activation, SmoothQuant: false, Residual: true, Int8Input: false, Int8Output: false, InstructionSet);

    /// <inheritdoc />
    protected override void RunValidated(Accelerator accelerator, ConvCall call)
    {
        EnsureSupported();
        RunArrays(call.Input!, call.Map, call.Weights.Packed, call.Output!, call.Residual);
    }

    /// <summary>Runs the layer on the host into <paramref name="output"/> [M, Cout].</summary>
    public void Run(SparseTensor input, KernelMap map, F32LayerWeights weights, float[] output, float[]? residual = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(output);
        EnsureShapes(input, map, weights.InChannels, weights.KernelVolume, OutChannels, output.LongLength);
        if (residual is not null && residual.Length != output.Length)
        {
            throw new ArgumentException($"residual must hold [M={map.OutputCount}, Cout={OutChannels}] values, got {residual.Length}");
        }
        EnsureSupported();
        RunArrays(input.Features, map, weights, output, residual);
    }

    private void RunArrays(float[] input, KernelMap map, F32LayerWeights weights, float[] output, float[]? residual)
    {
        var padded = weights.PaddedForLanes(Lanes);
        var call = new CpuF32Call
        {
            Features = input,
            ZeroRow = new float[weights.InChannels],
            OutIn = map.OutIn,
            Weights = padded.Weights,
            Bias = padded.Bias,
            Residual = residual,
            Output = output,
            Rows = map.OutputCount,
        };
        ForEachTask(map.OutputCount, _rowTile, call);
    }
}
