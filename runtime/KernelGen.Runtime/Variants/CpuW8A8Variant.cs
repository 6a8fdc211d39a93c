using ILGPU.Runtime;
using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Quantization;
using KernelGen.Tensors;

namespace KernelGen.Variants;

/// <summary>Everything one call of a generated W8A8 CPU kernel reads and writes.</summary>
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

    /// <summary>fp32(s_x · s_w[n]) [CoutPadded].</summary>
    public required float[] DequantizeScales { get; init; }

    /// <summary>Bias [CoutPadded].</summary>
    public required float[] Bias { get; init; }

    /// <summary>Residual [M, Cout] added before the activation, or null.</summary>
    public float[]? Residual { get; init; }

    /// <summary>Output [M, Cout].</summary>
    public required float[] Output { get; init; }

    /// <summary>The int32 accumulators before the epilogue [M, Cout], or null (tests read them to check bit-exactness).</summary>
    public int[]? Accumulators { get; init; }

    /// <summary>M.</summary>
    public required int Rows { get; init; }
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
    protected override KernelCapabilities Declare(LayerDescriptor layer) =>
        new(KernelDevice.Host, Precision.W8A8, layer.Activation, SmoothQuant, Residual: true, Int8Input: false, Int8Output: false, InstructionSet);

    /// <inheritdoc />
    protected override void RunValidated(Accelerator accelerator, ConvCall call)
    {
        EnsureSupported();
        RunArrays(call.Input!, call.Map, call.Weights.Int8!, call.Output!, call.Residual, call.Accumulators);
    }

    /// <summary>
    /// Runs the layer on the host into <paramref name="output"/> [M, Cout]; with <paramref name="accumulators"/> [M, Cout]
    /// also returns the int32 sums before the epilogue.
    /// </summary>
    public void Run(SparseTensor input, KernelMap map, W8A8LayerWeights weights, float[] output, float[]? residual = null, int[]? accumulators = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(output);
        EnsureShapes(input, map, weights.InChannels, weights.KernelVolume, OutChannels, output.LongLength);
        if (SmoothQuant != weights.Smoothing is not null)
        {
            throw new ArgumentException(SmoothQuant
                ? $"{Name} fuses SmoothQuant: its weights need smoothing factors"
                : $"{Name} has no SmoothQuant prologue: its weights must be quantized without smoothing factors");
        }
        if (residual is not null && residual.Length != output.Length)
        {
            throw new ArgumentException($"residual must hold [M={map.OutputCount}, Cout={OutChannels}] values, got {residual.Length}");
        }
        if (accumulators is not null && accumulators.Length != output.Length)
        {
            throw new ArgumentException($"accumulators must hold [M={map.OutputCount}, Cout={OutChannels}] values, got {accumulators.Length}");
        }
        EnsureSupported();
        RunArrays(input.Features, map, weights, output, residual, accumulators);
    }

    private void RunArrays(float[] input, KernelMap map, W8A8LayerWeights weights, float[] output, float[]? residual, int[]? accumulators)
    {
        var padded = weights.PaddedForLanes(Lanes);
        int words = weights.InChannelWords;
        var zeroRow = new byte[words * 4];
        Array.Fill(zeroRow, (byte)128);
        var call = new CpuW8A8Call
        {
            Activations = Int8Prologue.QuantizeShifted(input, weights.ActivationMultipliers, words),
            ZeroRow = zeroRow,
            OutIn = map.OutIn,
            Weights = padded.Weights,
            WeightSums = padded.WeightSums,
            DequantizeScales = padded.DequantizeScales,
            Bias = padded.Bias,
            Residual = residual,
            Output = output,
            Accumulators = accumulators,
            Rows = map.OutputCount,
        };
        ForEachTask(map.OutputCount, _rowTile, call);
    }
}
