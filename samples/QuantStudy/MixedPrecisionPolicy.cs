using KernelGen.Kernels;
using KernelGen.Quantization;

namespace KernelGen.Samples.QuantStudy;

/// <summary>A layer's measured int8 error, the input to <see cref="MixedPrecisionPolicy"/>.</summary>
/// <param name="Layer">Layer name.</param>
/// <param name="Int8">The best int8 scales measured for it (naive, or with SmoothQuant factors and their alpha).</param>
/// <param name="Error">Its output error against fp32 on the calibration data.</param>
internal sealed record LayerMeasurement(string Layer, LayerQuantization Int8, ErrorMetrics Error);

/// <summary>What the policy chose for a layer, and why.</summary>
/// <param name="Int8">The int8 scales it runs with, or null: fp32.</param>
internal sealed record PrecisionDecision(string Layer, LayerQuantization? Int8, string Reason)
{
    /// <summary>"fp32", "W8A8" or "W8A8 + SmoothQuant (α = 0.50)".</summary>
    public string Describe() => Int8?.Describe() ?? "fp32";
}

/// <summary>
/// The study's per-layer mixed precision (the seed's): a layer runs int8 when its best int8 method's relative L2 error
/// against fp32 on its own input is within the budget, fp32 otherwise. The product's policy is the calibrator's, which
/// judges the network output (`kernelgen calibrate`); this one stays with the study that compares the two views.
/// </summary>
internal static class MixedPrecisionPolicy
{
    /// <summary>Decides every layer for <paramref name="relativeL2Budget"/> (e.g. 0.02 = 2 %).</summary>
    public static IReadOnlyList<PrecisionDecision> Decide(IEnumerable<LayerMeasurement> layers, double relativeL2Budget)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (!(relativeL2Budget > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(relativeL2Budget), relativeL2Budget, "the error budget must be positive");
        }
        return layers.Select(layer =>
        {
            string measured = $"{layer.Int8.Describe()}: relative L2 {layer.Error.RelativeL2:P2}, cosine {layer.Error.Cosine:F5}";
            return layer.Error.RelativeL2 <= relativeL2Budget
                ? new PrecisionDecision(layer.Layer, layer.Int8, $"int8 — {measured} ≤ budget {relativeL2Budget:P2}")
                : new PrecisionDecision(layer.Layer, null, $"fp32 — {measured} > budget {relativeL2Budget:P2}");
        }).ToList();
    }
}
