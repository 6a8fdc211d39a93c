using System.Text.Json;
using System.Text.Json.Nodes;
using KernelGen.Kernels;
using KernelGen.Networks;
using KernelGen.Quantization;
using KernelGen.Variants;

namespace KernelGen.Profiles;

/// <summary>
/// One node's entry in a <see cref="QuantizationProfile"/>: int8 with its static activation scale, the observer that
/// produced it, the SmoothQuant strength and factors, and — when its output feeds int8 readers directly — the
/// requantization multipliers of its int8 output, the bias correction when it lowered the layer's error, and the factor
/// the network-output clipping search put on the observer's scale (<see cref="ActivationScale"/> already includes it),
/// and the int8 weights when they were rounded on the calibration data (GPTQ; base64 of the [Cout, K, Cin] bytes in the
/// file); or fp32.
/// </summary>
/// <remarks>
/// A layer the policy kept in fp32 keeps the scales it would run int8 with (<see cref="Quantization"/>), so a report can
/// show what all-int8 would do and a user can promote it again; <see cref="NaiveScale"/> is naive W8A8's s_x (max |x| /
/// Q, no smoothing) for comparison. <see cref="Format"/> is how its activations are coded (u8 where its input is a
/// ReLU's output) and <see cref="Sensitivity"/> what the network output loses (1 − cosine, or −SQNR for an SQNR
/// target) with only this layer int8.
/// </remarks>
public sealed record LayerProfile(
    string Node, bool Int8, float? ActivationScale = null, ScaleObserver? Observer = null, double? Alpha = null, float[]? Smoothing = null,
    float[]? OutputMultipliers = null, double? LayerRelativeL2 = null, double? Sensitivity = null, float? NaiveScale = null, float[]? BiasCorrection = null,
    double? Clip = null, sbyte[]? RoundedWeights = null, ActivationFormat Format = ActivationFormat.S8, OutputAgreement? Alone = null)
{
    /// <summary>The scales the node runs int8 with (or would, if the policy kept it fp32); null for a layer without W8A8 kernels.</summary>
    public LayerQuantization? Quantization => ActivationScale is { } scale
        ? new LayerQuantization(scale, Smoothing, Alpha, BiasCorrection, RoundedWeights, Format) : null;

    /// <summary>Naive W8A8's scales (no smoothing, the same activation format), or null for a layer without W8A8 kernels.</summary>
    public LayerQuantization? Naive => NaiveScale is { } scale ? new LayerQuantization(scale, Format: Format) : null;

    /// <summary>Value equality including the arrays' contents.</summary>
    public bool Equals(LayerProfile? other) =>
        other is not null && Node == other.Node && Int8 == other.Int8 && ActivationScale == other.ActivationScale && Observer == other.Observer
        && Alpha == other.Alpha && Same(Smoothing, other.Smoothing) && Same(OutputMultipliers, other.OutputMultipliers)
        && LayerRelativeL2 == other.LayerRelativeL2 && Sensitivity == other.Sensitivity && NaiveScale == other.NaiveScale
        && Same(BiasCorrection, other.BiasCorrection) && Clip == other.Clip && Same(RoundedWeights, other.RoundedWeights)
        && Format == other.Format && Alone == other.Alone;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Node, Int8, ActivationScale, Alpha);

    private static bool Same<T>(T[]? a, T[]? b) where T : IEquatable<T> => a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b);
}

/// <summary>The network output's agreement with fp32 on a set of scans: the worst scan and the mean.</summary>
public sealed record OutputAgreement(double WorstCosine, double MeanCosine, double WorstSqnrDb, double MeanSqnrDb);

/// <summary>
/// One step of the precision policy: how many layers ran int8, how the output agreed with fp32, and the network's time
/// on the sample (mean per scan, default kernels on the calibrating machine: the speed side of the curve).
/// </summary>
public sealed record PolicyStep(int Int8Layers, string? Demoted, OutputAgreement Agreement, double NetworkMs = 0);

/// <summary>
/// A deployable quantization of one network with one set of weights: per node its precision and static scales,
/// calibrated once on a calibration set and loaded by every run path instead of being computed per scan. Versioned,
/// human-readable JSON, keyed by <see cref="ProfileHashes"/> of the description and the weights: a profile is refused,
/// with the reason, for any other network or weights.
/// </summary>
public sealed record QuantizationProfile(
    string Network, string NetworkHash, string WeightsHash, IReadOnlyList<string> Scans, IReadOnlyList<string> Sample, ScaleObserver Observer,
    string Target, OutputAgreement Calibration, IReadOnlyList<PolicyStep> Curve, IReadOnlyList<LayerProfile> Layers, ProfileInput? Input = null,
    PtqMethods Methods = PtqMethods.None)
{
    /// <summary>
    /// The profile format this version writes and reads: 2 records each layer's activation format (s8 or u8); format 1
    /// profiles, written before u8 activations, are refused (their scales are T / 127 where a u8 layer needs T / 255).
    /// </summary>
    public const int Format = 2;

    private const string Kind = "kernelgen-quantization-profile";

    /// <summary>
    /// The one-line warning for running this profile (file <paramref name="profileName"/>) on <paramref name="cloud"/>:
    /// its sensor is not among the calibration's, or the profile does not say (an older one); null when they match.
    /// </summary>
    public string? SensorWarningFor(Points.PointCloud cloud, string profileName)
    {
        ArgumentNullException.ThrowIfNull(cloud);
        return Input is { } input ? input.WarningFor(cloud)
            : $"the profile {profileName} does not record its calibration sensor (an older profile); {cloud.Sensor} may not match it";
    }

    /// <summary>Value equality including the lists' contents.</summary>
    public bool Equals(QuantizationProfile? other) =>
        other is not null && Network == other.Network && NetworkHash == other.NetworkHash && WeightsHash == other.WeightsHash
        && Scans.SequenceEqual(other.Scans) && Sample.SequenceEqual(other.Sample) && Observer == other.Observer && Target == other.Target
        && Calibration == other.Calibration && Curve.SequenceEqual(other.Curve) && Layers.SequenceEqual(other.Layers)
        && Equals(Input, other.Input) && Methods == other.Methods;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(NetworkHash, WeightsHash, Layers.Count);

    /// <summary>
    /// The precision plan for <paramref name="network"/> with <paramref name="weights"/>: the profile's int8 nodes with
    /// their static scales, fp32 elsewhere. Refused, naming what differs, for another description or other weights, and
    /// for entries that do not fit the network (a missing node, factors of the wrong length, int8 on a layer without
    /// W8A8 kernels).
    /// </summary>
    public PrecisionPlan PlanFor(ValidatedNetwork network, IReadOnlyDictionary<string, ConvWeights> weights) =>
        Plan(network, weights, entry => entry.Int8 ? entry.Quantization : null);

    /// <summary>The same checks, every int8-capable layer int8 with the profile's scales (for comparisons).</summary>
    public PrecisionPlan AllInt8PlanFor(ValidatedNetwork network, IReadOnlyDictionary<string, ConvWeights> weights) =>
        Plan(network, weights, entry => entry.Quantization);

    /// <summary>How many leading convs <see cref="RecipePlanFor"/> keeps out of int8.</summary>
    public const int RecipeFloatLayers = 3;

    /// <summary>
    /// The field's shipping recipe (NVIDIA's CenterPoint int8, Lidar_AI_Solution <c>CUDA-CenterPoint/qat</c>): the first
    /// <see cref="RecipeFloatLayers"/> convs in network order — for CenterPoint the input conv and the first residual block,
    /// where the raw coordinates and the first features enter — in <paramref name="elsewhere"/> (fp32 on the CPU, fp16 on a
    /// GPU), every other int8-capable conv int8 with the profile's scales; the last conv writes floating point as every
    /// plan's network output does. The same checks as <see cref="PlanFor"/>.
    /// </summary>
    public PrecisionPlan RecipePlanFor(ValidatedNetwork network, IReadOnlyDictionary<string, ConvWeights> weights, Precision elsewhere = Precision.F32)
    {
        ArgumentNullException.ThrowIfNull(network);
        var leading = network.Network.Nodes.Take(RecipeFloatLayers).Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        return Plan(network, weights, entry => leading.Contains(entry.Node) ? null : entry.Quantization, elsewhere);
    }

    /// <summary>The same checks, every int8-capable layer int8 with naive W8A8 scales (max |x| / 127, no SmoothQuant).</summary>
    public PrecisionPlan NaiveAllInt8PlanFor(ValidatedNetwork network, IReadOnlyDictionary<string, ConvWeights> weights) =>
        Plan(network, weights, entry => entry.Naive);

    private PrecisionPlan Plan(
        ValidatedNetwork network, IReadOnlyDictionary<string, ConvWeights> weights, Func<LayerProfile, LayerQuantization?> scalesOf, Precision elsewhere = Precision.F32)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(weights);
        string networkHash = ProfileHashes.Network(network), weightsHash = ProfileHashes.Weights(network, weights);
        if (networkHash != NetworkHash)
        {
            throw new InvalidDataException(
                $"the profile was calibrated for network '{KernelGen.IO.OneLine.Of(Network)}' ({Short(NetworkHash)}), not for this description of '{network.Network.Name}' ({Short(networkHash)}); recalibrate");
        }
        if (weightsHash != WeightsHash)
        {
            throw new InvalidDataException($"the profile was calibrated with other weights ({Short(WeightsHash)}, these are {Short(weightsHash)}); recalibrate");
        }
        if (Layers.FirstOrDefault(l => network.Network.Find(l.Node) is null) is { } stray)
        {
            throw new InvalidDataException($"the profile has an entry for node {KernelGen.IO.OneLine.Of(stray.Node)}, which the network does not have");
        }
        var int8 = new Dictionary<string, LayerQuantization>(StringComparer.Ordinal);
        for (int i = 0; i < network.Network.Nodes.Count; i++)
        {
            var node = network.Network.Nodes[i];
            var layer = network.Layers[i];
            var entry = Layers.FirstOrDefault(l => l.Node == node.Name) ?? throw new InvalidDataException($"the profile has no entry for node {node.Name}");
            var quantization = scalesOf(entry);
            if (quantization is null)
            {
                continue;
            }
            if (!layer.HasW8A8)
            {
                throw new InvalidDataException($"the profile makes node {node.Name} int8 but {layer.Name} has no W8A8 kernels");
            }
            if (entry.Smoothing is { } s && (s.Length != layer.InChannels || s.Any(f => !float.IsFinite(f) || f <= 0)))
            {
                throw new InvalidDataException($"node {node.Name}: {s.Length} SmoothQuant factors for Cin={layer.InChannels}, or a factor that is not positive and finite");
            }
            if (quantization.BiasCorrection is { } d && (d.Length != layer.OutChannels || d.Any(f => !float.IsFinite(f))))
            {
                throw new InvalidDataException($"node {node.Name}: {d.Length} bias corrections for Cout={layer.OutChannels}, or one that is not finite");
            }
            if (quantization.RoundedWeights is { } r && r.LongLength != (long)layer.OutChannels * layer.Geometry.KernelVolume * layer.InChannels)
            {
                throw new InvalidDataException($"node {node.Name}: {r.Length} rounded int8 weights for [Cout={layer.OutChannels}, K={layer.Geometry.KernelVolume}, Cin={layer.InChannels}]");
            }
            if (quantization.Format == ActivationFormat.U8 && !network.HasNonNegativeInput(node.Name))
            {
                throw new InvalidDataException($"node {node.Name}: the profile codes its activations u8, but its input ({node.From}) is not a ReLU's output and can be negative");
            }
            int8[node.Name] = quantization;
        }
        return PrecisionPlan.Static(int8, elsewhere);
    }

    /// <summary>Writes the profile (indented JSON, floats as their shortest round-trip text).</summary>
    public void Save(string path)
    {
        static JsonArray Floats(IEnumerable<float> values) => new(values.Select(v => (JsonNode)v).ToArray());
        static JsonObject Agreement(OutputAgreement a) => new()
        {
            // JSON has no infinity: an exact match (SQNR +∞) is written as null.
            ["worstCosine"] = Finite(a.WorstCosine), ["meanCosine"] = Finite(a.MeanCosine), ["worstSqnrDb"] = Finite(a.WorstSqnrDb), ["meanSqnrDb"] = Finite(a.MeanSqnrDb),
        };
        var root = new JsonObject
        {
            ["format"] = Format,
            ["kind"] = Kind,
            ["network"] = Network,
            ["networkHash"] = NetworkHash,
            ["weightsHash"] = WeightsHash,
            ["calibration"] = new JsonObject
            {
                ["scans"] = new JsonArray(Scans.Select(s => (JsonNode)s).ToArray()),
                ["input"] = Input is null ? null : new JsonObject
                {
                    ["sensors"] = new JsonArray(Input.Sensors.Select(s => (JsonNode)s).ToArray()), ["intensityMax"] = Input.IntensityMax,
                },
                ["sample"] = new JsonArray(Sample.Select(s => (JsonNode)s).ToArray()),
                ["ptq"] = PtqMethodsOption.Format(Methods),
                ["observer"] = Observer.ToString().ToLowerInvariant(),
                ["target"] = Target,
                ["agreement"] = Agreement(Calibration),
                ["curve"] = new JsonArray(Curve.Select(step => (JsonNode)new JsonObject
                {
                    ["int8Layers"] = step.Int8Layers, ["demoted"] = step.Demoted, ["agreement"] = Agreement(step.Agreement), ["networkMs"] = step.NetworkMs,
                }).ToArray()),
            },
            ["layers"] = new JsonArray(Layers.Select(l =>
            {
                var entry = new JsonObject { ["node"] = l.Node, ["precision"] = l.Int8 ? "int8" : "fp32" };
                if (l.ActivationScale is not null)
                {
                    entry["activations"] = l.Format.Name();
                    entry["activationScale"] = l.ActivationScale;
                    entry["observer"] = l.Observer?.ToString().ToLowerInvariant();
                    entry["alpha"] = l.Alpha;
                    entry["smoothing"] = l.Smoothing is null ? null : Floats(l.Smoothing);
                    entry["outputMultipliers"] = l.OutputMultipliers is null ? null : Floats(l.OutputMultipliers);
                    entry["biasCorrection"] = l.BiasCorrection is null ? null : Floats(l.BiasCorrection);
                    entry["clip"] = l.Clip;
                    entry["roundedWeights"] = l.RoundedWeights is null ? null : Convert.ToBase64String(System.Runtime.InteropServices.MemoryMarshal.AsBytes(l.RoundedWeights.AsSpan()));
                }
                entry["naiveScale"] = l.NaiveScale;
                entry["layerRelativeL2"] = Finite(l.LayerRelativeL2);
                entry["sensitivity"] = Finite(l.Sensitivity);
                entry["alone"] = l.Alone is null ? null : Agreement(l.Alone);
                return (JsonNode)entry;
            }).ToArray()),
        };
        KernelGen.IO.AtomicFile.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
    }

    private static string Short(string hash) => hash.Length > 19 ? hash[..19] + "…" : KernelGen.IO.OneLine.Of(hash);

    private static float Scale(float scale, string where) => scale > 0 && float.IsFinite(1f / scale)
        ? scale : throw new InvalidDataException($"{where}: activation scale {scale} is not a positive number whose inverse fits float32");

    private static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;

    private static PtqMethods MethodsOf(string text, string at)
    {
        try
        {
            return PtqMethodsOption.Parse(text);
        }
        catch (ArgumentException)
        {
            throw new InvalidDataException($"{at}: unknown post-training methods '{KernelGen.IO.OneLine.Of(text)}' (none, or bias, clip, gptq)");
        }
    }

    private static sbyte[]? RoundedWeightsOf(JsonObject entry, string where)
    {
        if (ProfileJson.OptionalString(entry, "roundedWeights", where) is not { } text)
        {
            return null;
        }
        var bytes = new byte[text.Length * 3 / 4 + 3];
        if (!Convert.TryFromBase64String(text, bytes, out int length))
        {
            throw new InvalidDataException($"{where}: 'roundedWeights' is not base64");
        }
        var weights = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, sbyte>(bytes.AsSpan(0, length)).ToArray();
        return Array.IndexOf(weights, sbyte.MinValue) is var bad and >= 0
            ? throw new InvalidDataException($"{where}: rounded weight {bad} is -128, outside ±{W8A8LayerWeights.QuantMax}") : weights;
    }

    /// <summary>Reads a profile; a corrupt file, another kind or another format version is an error naming it.</summary>
    public static QuantizationProfile Load(string path) =>
        Parse(ProfileJson.ReadText(path, "quantization profile"), path);

    /// <summary>Parses a profile's text; <paramref name="source"/> names it in errors.</summary>
    public static QuantizationProfile Parse(string text, string source)
    {
        var root = ProfileJson.Root(text, source, Kind, Format,
            older: "format 1 profiles predate u8 activations (codes 0…255 after a ReLU) and hold T / 127 scales for every layer");
        var calibration = ProfileJson.Object(root, "calibration", source);
        string at = $"{source}: calibration";
        OutputAgreement Agreement(JsonObject obj, string where) => new(
            ProfileJson.OptionalDouble(obj, "worstCosine", where) ?? throw new InvalidDataException($"{where}: 'worstCosine' is missing"),
            ProfileJson.OptionalDouble(obj, "meanCosine", where) ?? throw new InvalidDataException($"{where}: 'meanCosine' is missing"),
            ProfileJson.OptionalDouble(obj, "worstSqnrDb", where) ?? double.PositiveInfinity,
            ProfileJson.OptionalDouble(obj, "meanSqnrDb", where) ?? double.PositiveInfinity);
        var layers = ProfileJson.Array(root, "layers", source).Select((node, i) =>
        {
            string where = $"{source}: layers[{i}]";
            var entry = node as JsonObject ?? throw new InvalidDataException($"{where} is not an object");
            string name = ProfileJson.String(entry, "node", where);
            where = $"{source}: layer {name}";
            string precision = ProfileJson.String(entry, "precision", where);
            double? layerError = ProfileJson.OptionalDouble(entry, "layerRelativeL2", where), sensitivity = ProfileJson.OptionalDouble(entry, "sensitivity", where);
            float? naive = entry["naiveScale"] is null ? null : Scale(ProfileJson.Float(entry, "naiveScale", where), where);
            if (precision is not ("int8" or "fp32"))
            {
                throw new InvalidDataException($"{where}: precision '{KernelGen.IO.OneLine.Of(precision)}' is neither int8 nor fp32");
            }
            var alone = entry["alone"] is JsonObject a ? Agreement(a, $"{where}: alone") : null;
            if (precision == "fp32" && entry["activationScale"] is null)
            {
                return new LayerProfile(name, false, LayerRelativeL2: layerError, Sensitivity: sensitivity, NaiveScale: naive, Alone: alone);
            }
            float scale = Scale(ProfileJson.Float(entry, "activationScale", where), where);
            string formatText = ProfileJson.String(entry, "activations", where);
            var format = ActivationFormats.All.FirstOrDefault(f => f.Text == formatText)?.Format
                ?? throw new InvalidDataException($"{where}: activations '{KernelGen.IO.OneLine.Of(formatText)}' is neither s8 nor u8");
            string? observer = ProfileJson.OptionalString(entry, "observer", where);
            return new LayerProfile(name, precision == "int8", scale,
                observer is null ? null : Enum.TryParse<ScaleObserver>(observer, ignoreCase: true, out var o) && o != ScaleObserver.Auto ? o
                    : throw new InvalidDataException($"{where}: unknown observer '{KernelGen.IO.OneLine.Of(observer)}'"),
                ProfileJson.OptionalDouble(entry, "alpha", where), ProfileJson.OptionalFloats(entry, "smoothing", where),
                ProfileJson.OptionalFloats(entry, "outputMultipliers", where), layerError, sensitivity, naive,
                ProfileJson.OptionalFloats(entry, "biasCorrection", where),
                ProfileJson.OptionalDouble(entry, "clip", where) is { } clip ? clip is > 0 and < 100 ? clip : throw new InvalidDataException($"{where}: clip factor {clip} is not in (0, 100)") : null,
                RoundedWeightsOf(entry, where), format, alone);
        }).ToList();
        if (layers.Select(l => l.Node).Distinct().Count() != layers.Count)
        {
            throw new InvalidDataException($"{source}: a node is listed twice");
        }
        string observerText = ProfileJson.String(calibration, "observer", at);
        return new QuantizationProfile(
            ProfileJson.String(root, "network", source), ProfileJson.String(root, "networkHash", source), ProfileJson.String(root, "weightsHash", source),
            ProfileJson.Array(calibration, "scans", at).Select((s, i) => s is JsonValue v && v.TryGetValue(out string? t) ? t : throw new InvalidDataException($"{at}: scans[{i}] is not a string")).ToList(),
            ProfileJson.Array(calibration, "sample", at).Select((s, i) => s is JsonValue v && v.TryGetValue(out string? t) ? t : throw new InvalidDataException($"{at}: sample[{i}] is not a string")).ToList(),
            Enum.TryParse<ScaleObserver>(observerText, ignoreCase: true, out var chosen) ? chosen : throw new InvalidDataException($"{at}: unknown observer '{KernelGen.IO.OneLine.Of(observerText)}'"),
            ProfileJson.String(calibration, "target", at),
            Agreement(ProfileJson.Object(calibration, "agreement", at), $"{at}: agreement"),
            ProfileJson.Array(calibration, "curve", at).Select((s, i) =>
            {
                string where = $"{at}: curve[{i}]";
                var step = s as JsonObject ?? throw new InvalidDataException($"{where} is not an object");
                return new PolicyStep((int)ProfileJson.Long(step, "int8Layers", where), ProfileJson.OptionalString(step, "demoted", where),
                    Agreement(ProfileJson.Object(step, "agreement", where), where), ProfileJson.OptionalDouble(step, "networkMs", where) ?? 0);
            }).ToList(),
            layers,
            calibration["input"] is JsonObject input
                ? new ProfileInput(ProfileJson.Array(input, "sensors", $"{at}: input").Select((s, i) => s is JsonValue v && v.TryGetValue(out string? t) ? t : throw new InvalidDataException($"{at}: input sensors[{i}] is not a string")).ToList(),
                    ProfileJson.OptionalDouble(input, "intensityMax", $"{at}: input") ?? throw new InvalidDataException($"{at}: input 'intensityMax' is missing"))
                : null,
            // Profiles written before the methods were recorded used none of them.
            ProfileJson.OptionalString(calibration, "ptq", at) is { } ptq ? MethodsOf(ptq, at) : PtqMethods.None);
    }
}
