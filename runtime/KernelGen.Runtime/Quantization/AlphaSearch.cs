using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Tensors;

namespace KernelGen.Quantization;

/// <summary>One point of an alpha sweep.</summary>
public sealed record AlphaPoint(double Alpha, ErrorMetrics Error);

/// <summary>The sweep and its minimum, measured on <paramref name="SampledRows"/> output rows.</summary>
public sealed record AlphaSearchResult(double BestAlpha, ErrorMetrics BestError, IReadOnlyList<AlphaPoint> Curve, int SampledRows);

/// <summary>
/// Per-layer SmoothQuant alpha: runs the layer in W8A8 + SmoothQuant for every alpha of a grid (0 to 1, step 0.05)
/// on calibration data and keeps the alpha whose output is closest to the fp32 reference (smallest relative L2, the
/// same order as MSE). Big layers are searched on an evenly spaced sample of their output rows.
/// </summary>
public static class AlphaSearch
{
    /// <summary>0, 0.05, …, 1.</summary>
    public static IReadOnlyList<double> DefaultGrid { get; } = Enumerable.Range(0, 21).Select(i => i * 0.05).ToArray();

    /// <summary>Searches <paramref name="grid"/> (default <see cref="DefaultGrid"/>).</summary>
    /// <param name="gemm">Runs the W8A8 layer (any accelerator).</param>
    /// <param name="input">Calibration input of the layer.</param>
    /// <param name="map">The layer's kernel map on that input.</param>
    /// <param name="weights">fp32 weights (BatchNorm folded).</param>
    /// <param name="activation">The layer's activation.</param>
    /// <param name="reference">The fp32 layer's output on the same input [M, Cout].</param>
    /// <param name="grid">Alphas to try.</param>
    /// <param name="sampleRows">At most this many output rows are evaluated (default 4096).</param>
    public static AlphaSearchResult Search(
        GenericW8A8ImplicitGemm gemm, SparseTensor input, KernelMap map, ConvWeights weights, Activation activation,
        ReadOnlySpan<double> reference, IReadOnlyList<double>? grid = null, int sampleRows = 4096)
    {
        ArgumentNullException.ThrowIfNull(gemm);
        return Search((sample, quantized, output) => gemm.Run(input, sample, quantized, activation, output), input, map, weights, reference, grid, sampleRows);
    }

    /// <summary>
    /// The same search with any W8A8 implementation of the layer: <paramref name="runLayer"/> runs it on the input for a
    /// (sampled) kernel map with the given quantized weights into the output (a generated CPU or GPU variant, say).
    /// </summary>
    public static AlphaSearchResult Search(
        Action<KernelMap, W8A8LayerWeights, float[]> runLayer, SparseTensor input, KernelMap map, ConvWeights weights,
        ReadOnlySpan<double> reference, IReadOnlyList<double>? grid = null, int sampleRows = 4096)
    {
        ArgumentNullException.ThrowIfNull(runLayer);
        ArgumentNullException.ThrowIfNull(input);
        grid ??= DefaultGrid;
        if (grid.Count == 0)
        {
            throw new ArgumentException("the alpha grid is empty", nameof(grid));
        }
        if (reference.Length != (long)map.OutputCount * weights.OutChannels)
        {
            throw new ArgumentException($"the reference holds {reference.Length} values, the layer's output {(long)map.OutputCount * weights.OutChannels}");
        }
        // Statistics (and so the scales) come from the whole input; only the evaluation is sampled.
        var maxima = LayerQuantizer.ChannelMaxima(input.Features, input.Channels);
        var rows = map.SampleRows(sampleRows);
        var sample = rows.Length == map.OutputCount ? map : map.SelectRows(rows);
        int cout = weights.OutChannels;
        var sampledReference = new double[rows.Length * cout];
        for (int i = 0; i < rows.Length; i++)
        {
            reference.Slice(rows[i] * cout, cout).CopyTo(sampledReference.AsSpan(i * cout, cout));
        }
        var curve = new List<AlphaPoint>(grid.Count);
        var output = new float[sampledReference.Length];
        foreach (double alpha in grid)
        {
            var quantized = LayerQuantization.Calibrate(weights, maxima, smoothQuant: true, alpha).Apply(weights);
            runLayer(sample, quantized, output);
            curve.Add(new AlphaPoint(alpha, ErrorMetrics.Compare(output, sampledReference)));
        }
        var best = curve.MinBy(p => p.Error.RelativeL2)!;
        return new AlphaSearchResult(best.Alpha, best.Error, curve, rows.Length);
    }
}
