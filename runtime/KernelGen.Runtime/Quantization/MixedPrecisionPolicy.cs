namespace KernelGen.Quantization;

/// <summary>A layer's measured int8 error, the input to <see cref="MixedPrecisionPolicy"/>.</summary>
/// <param name="Layer">Layer name.</param>
/// <param name="Method">The best int8 method measured for it (W8A8 or W8A8 + SmoothQuant).</param>
/// <param name="Alpha">Its SmoothQuant alpha, when smoothed.</param>
/// <param name="Error">Its output error against fp32 on the calibration data.</param>
public sealed record LayerMeasurement(string Layer, QuantMethod Method, double Alpha, ErrorMetrics Error);

/// <summary>What the policy chose for a layer, and why.</summary>
public sealed record PrecisionDecision(string Layer, QuantMethod Method, double Alpha, string Reason);

/// <summary>
/// Mixed precision by measurement rather than by hand (NVIDIA keeps CenterPoint's first layers FP16 by hand): a layer
/// runs int8 when its best int8 method's relative L2 error against fp32 is within the budget, fp32 otherwise.
/// </summary>
public static class MixedPrecisionPolicy
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
            string measured = $"{Describe(layer.Method, layer.Alpha)}: relative L2 {layer.Error.RelativeL2:P2}, cosine {layer.Error.Cosine:F5}";
            return layer.Error.RelativeL2 <= relativeL2Budget
                ? new PrecisionDecision(layer.Layer, layer.Method, layer.Alpha, $"int8 — {measured} ≤ budget {relativeL2Budget:P2}")
                : new PrecisionDecision(layer.Layer, QuantMethod.Fp32, 0, $"fp32 — {measured} > budget {relativeL2Budget:P2}");
        }).ToList();
    }

    /// <summary>"W8A8", "W8A8 + SmoothQuant (α = 0.50)" or "fp32".</summary>
    public static string Describe(QuantMethod method, double alpha) => method switch
    {
        QuantMethod.W8A8 => "W8A8",
        QuantMethod.W8A8Smooth => $"W8A8 + SmoothQuant (α = {alpha:F2})",
        _ => "fp32",
    };
}
