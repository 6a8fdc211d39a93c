namespace KernelGen.Profiles;

/// <summary>
/// What calibration adds beyond per-layer SmoothQuant strength and observer. Bias correction is the default: it lowered
/// the error on held-out scans as well as on the calibration ones. The clipping search and Hessian-aware rounding fit
/// the calibration sample more closely (the calibration cosine rises) and pay off on held-out scans only with enough
/// calibration data (docs/BENCHMARKS.md, #21): they are asked for.
/// </summary>
[Flags]
public enum PtqMethods
{
    /// <summary>Scales only.</summary>
    None = 0,

    /// <summary>Per layer the int8 pre-activation's mean shift from fp32 subtracted from the bias, where it lowers the layer error.</summary>
    BiasCorrection = 1,

    /// <summary>Each layer's activation scale searched on the network output (worst-scan SQNR, every layer int8).</summary>
    ClipSearch = 2,

    /// <summary>Weights rounded on the gathered calibration input (GPTQ), where it lowers the layer error.</summary>
    Gptq = 4,

    /// <summary>
    /// Sequential calibration: each layer's scales, rounding and bias correction are decided on the input the int8
    /// network before it gives (int8 chained as a run does), against the fp32 network's output — so bias correction also
    /// removes the mean shift the upstream layers' rounding leaves after their ReLUs, which compounds over depth.
    /// </summary>
    Sequential = 8,

    /// <summary>What calibration does unless told otherwise.</summary>
    Default = BiasCorrection,
}

/// <summary>The <c>--ptq</c> option's text: <c>none</c>, or a comma-separated list of <c>bias</c>, <c>clip</c>, <c>gptq</c>, <c>seq</c>.</summary>
public static class PtqMethodsOption
{
    private static readonly (string Name, PtqMethods Method)[] Names =
        [("bias", PtqMethods.BiasCorrection), ("clip", PtqMethods.ClipSearch), ("gptq", PtqMethods.Gptq), ("seq", PtqMethods.Sequential)];

    /// <summary>Parses the option; anything else is an error naming the choices.</summary>
    public static PtqMethods Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Trim().Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            return PtqMethods.None;
        }
        var methods = PtqMethods.None;
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var match = Names.FirstOrDefault(n => n.Name.Equals(part, StringComparison.OrdinalIgnoreCase));
            methods |= match.Name is not null ? match.Method
                : throw new ArgumentException($"--ptq '{KernelGen.IO.OneLine.Of(text)}': give none or a comma-separated list of bias, clip, gptq, seq");
        }
        return methods;
    }

    /// <summary>The option's text for <paramref name="methods"/> (what the profile records).</summary>
    public static string Format(PtqMethods methods) =>
        methods == PtqMethods.None ? "none" : string.Join(",", Names.Where(n => methods.HasFlag(n.Method)).Select(n => n.Name));
}
