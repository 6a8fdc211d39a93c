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
    /// <param name="accelerator">Where <paramref name="kernel"/> runs.</param>
    /// <param name="kernel">A W8A8 + SmoothQuant kernel of the layer (a generated variant or the generic one).</param>
    /// <param name="input">Calibration input of the layer.</param>
    /// <param name="map">The layer's kernel map on that input.</param>
    /// <param name="weights">fp32 weights (BatchNorm folded).</param>
    /// <param name="reference">The fp32 layer's output on the same input [M, Cout].</param>
    /// <param name="grid">Alphas to try.</param>
    /// <param name="sampleRows">At most this many output rows are evaluated (default 4096).</param>
    public static AlphaSearchResult Search(
        ILGPU.Runtime.Accelerator accelerator, IConvKernel kernel, SparseTensor input, KernelMap map, ConvWeights weights,
        ReadOnlySpan<double> reference, IReadOnlyList<double>? grid = null, int sampleRows = 4096)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentNullException.ThrowIfNull(kernel);
        if (kernel.Capabilities is not { Precision: Precision.W8A8, SmoothQuant: true })
        {
            throw new ArgumentException($"the alpha search needs a W8A8 + SmoothQuant kernel; {kernel.Name} declares {kernel.Capabilities.Describe()}", nameof(kernel));
        }
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
        var prepared = new LayerWeights(weights);
        foreach (double alpha in grid)
        {
            var quantized = prepared.Quantized(LayerQuantization.Calibrate(weights, maxima, smoothQuant: true, alpha));
            kernel.Run(accelerator, new ConvCall { Map = sample, Weights = quantized, Input = input.Features, Output = output });
            curve.Add(new AlphaPoint(alpha, ErrorMetrics.Compare(output, sampledReference)));
        }
        var best = curve.MinBy(p => p.Error.RelativeL2)!;
        return new AlphaSearchResult(best.Alpha, best.Error, curve, rows.Length);
    }
}
