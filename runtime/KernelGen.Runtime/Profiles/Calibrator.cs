using KernelGen.Kernels;
using KernelGen.Networks;
using KernelGen.Quantization;
using KernelGen.Tensors;
using KernelGen.Tuning;
using KernelGen.Variants;

namespace KernelGen.Profiles;

/// <summary>
/// Calibration of a whole network, in two steps that scale differently:
/// <list type="number">
/// <item><c>Observe</c> streams calibration scans through fp32 runs and keeps only per-node
/// <see cref="ActivationStatistics"/> (split across machines by scan; shards merge exactly);</item>
/// <item><c>Decide</c> turns merged statistics into a <see cref="QuantizationProfile"/> on a bounded sample of
/// the scans: per layer the observer (with <see cref="ScaleObserver.Auto"/>) and the SmoothQuant strength with the
/// smallest layer output error over the sample, then the precision policy — every int8-capable layer int8, and, while
/// the network output misses the target on the worst sample scan, the most sensitive layer (largest output error when
/// it alone runs int8) back to fp32. <see cref="PtqMethods"/> adds bias correction (the default), a clipping search on
/// the network output, and Hessian-aware rounding.</item>
/// </list>
/// Every run uses the default kernels (<see cref="DefaultVariantChoice"/>), not tuned ones, so the profile does not
/// depend on a tuning cache; int8 kernels give the same integer sums on every instruction set.
/// </summary>
public sealed class Calibrator(NetworkRunner runner, ValidatedNetwork network, IReadOnlyDictionary<string, ConvWeights> weights)
{
    /// <summary>SmoothQuant strengths tried per layer (besides no smoothing).</summary>
    public static IReadOnlyList<double> Alphas { get; } = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];

    /// <summary>Factors on a layer's activation scale tried by the network-output clipping search (below 1 clips more).</summary>
    public static IReadOnlyList<double> ClipFactors { get; } = [0.5, 0.6, 0.7, 0.8, 0.9, 1.1, 1.25];

    /// <summary>A layer's scales as decided so far, with its layer error and the clipping search's factor (null: 1, not moved).</summary>
    private sealed record LayerChoice(LayerQuantization Quantization, ScaleObserver Observer, double RelativeL2, double? Clip = null);

    /// <summary>
    /// One sample scan: its plan, its fp32 run (every output kept: the targets), and — with sequential calibration — the
    /// outputs of the int8 network decided so far (each layer's input comes from there instead of the fp32 run).
    /// </summary>
    private sealed record SampleRun(NetworkPlan Plan, NetworkRun Fp32)
    {
        public Dictionary<string, float[]> Int8Path { get; } = new(StringComparer.Ordinal);

        /// <summary>The features node <paramref name="name"/> reads: from the int8 path when it holds them, else fp32.</summary>
        public float[] InputOf(string name) => FeaturesOf(Plan.Nodes.First(n => n.Node.Name == name).Node.From);

        /// <summary>The residual node <paramref name="name"/> adds, from the int8 path when it holds it, else fp32; or null.</summary>
        public float[]? ResidualOf(string name) => Plan.Nodes.First(n => n.Node.Name == name).Node.Residual is { } residual ? FeaturesOf(residual) : null;

        private float[] FeaturesOf(string output) =>
            output == SparseNetwork.InputName ? Plan.Input.Features
            : Int8Path.TryGetValue(output, out var int8) ? int8 : Fp32.Outputs[output].Features;
    }

    private readonly NetworkRunner _runner = runner ?? throw new ArgumentNullException(nameof(runner));
    private readonly ValidatedNetwork _network = network ?? throw new ArgumentNullException(nameof(network));
    private readonly IReadOnlyDictionary<string, ConvWeights> _weights = weights ?? throw new ArgumentNullException(nameof(weights));

    /// <summary>Empty statistics for every node whose layer has W8A8 kernels.</summary>
    public CalibrationStatistics NewStatistics() => new(
        _network.Network.Name, ProfileHashes.Network(_network), ProfileHashes.Weights(_network, _weights),
        _network.Network.Nodes.Select((n, i) => (n, _network.Layers[i])).Where(p => p.Item2.HasW8A8)
            .Select(p => (p.n.Name, p.Item2.InChannels)));

    /// <summary>Runs <paramref name="voxels"/> in fp32 and adds every int8-capable node's input to <paramref name="statistics"/>.</summary>
    public void Observe(CalibrationStatistics statistics, CalibrationScan scan, SparseTensor voxels)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        var (plan, fp32) = Fp32Run(voxels);
        statistics.Add(scan, node => InputOf(plan, fp32, node).Features);
    }

    /// <summary>
    /// Observes <paramref name="scans"/> of <paramref name="set"/> (all of them by default; a shard's with
    /// <see cref="CalibrationSet.Shard"/>), each read, voxelized in <paramref name="config"/> (the network's own by
    /// default) and run once in fp32; <paramref name="onScan"/> hears of each scan before it is observed.
    /// </summary>
    public CalibrationStatistics Observe(
        CalibrationSet set, IReadOnlyList<CalibrationScan>? scans = null, Points.VoxelConfig? config = null, Action<CalibrationScan>? onScan = null)
    {
        ArgumentNullException.ThrowIfNull(set);
        var statistics = NewStatistics();
        foreach (var scan in scans ?? set.Scans)
        {
            onScan?.Invoke(scan);
            Observe(statistics, scan, _network.Voxelize(set.Read(scan.Index), config));
        }
        return statistics;
    }

    /// <summary>
    /// The profile of <paramref name="set"/> from its merged <paramref name="statistics"/>, decided as
    /// <paramref name="settings"/> say: on the set's sample (<see cref="CalibrationSettings.SampleSize"/> scans spread over
    /// it), recording the sample's sensors and intensity scale (<see cref="QuantizationProfile.Input"/>).
    /// </summary>
    public QuantizationProfile Decide(
        CalibrationStatistics statistics, CalibrationSet set, CalibrationSettings settings, Points.VoxelConfig? config = null,
        Action<string>? progress = null, bool unsignedActivations = true)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(settings);
        var clouds = set.Sample(settings.SampleSize).Select(s => (s.Name, Cloud: set.Read(s.Index))).ToList();
        var sample = clouds.Select(c => (c.Name, _network.Voxelize(c.Cloud, config))).ToList();
        var profile = Decide(statistics, sample, settings.Observer, settings.Target, progress, settings.Methods, unsignedActivations);
        return profile with { Input = ProfileInput.Of(clouds.Select(c => c.Cloud), _network.Network.Input.IntensityMax) };
    }

    /// <summary>
    /// The profile from merged <paramref name="statistics"/>, deciding on the <paramref name="sample"/> scans. Each
    /// node's activations are coded u8 where its input is a ReLU's output (<see cref="ValidatedNetwork.HasNonNegativeInput"/>),
    /// s8 elsewhere — or s8 everywhere with <paramref name="unsignedActivations"/> false (symmetric int8, to compare).
    /// </summary>
    public QuantizationProfile Decide(
        CalibrationStatistics statistics, IReadOnlyList<(string Name, SparseTensor Voxels)> sample, ScaleObserver observer, CalibrationTarget target,
        Action<string>? progress = null, PtqMethods methods = PtqMethods.Default, bool unsignedActivations = true)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        ArgumentNullException.ThrowIfNull(target);
        if (sample.Count == 0)
        {
            throw new ArgumentException("the calibration sample has no scan");
        }
        if (statistics.NetworkHash != ProfileHashes.Network(_network) || statistics.WeightsHash != ProfileHashes.Weights(_network, _weights))
        {
            throw new InvalidDataException($"the statistics were gathered for another network or other weights ({statistics.Network}); gather them again");
        }
        if (statistics.Scans.Count == 0)
        {
            throw new InvalidDataException("the statistics hold no scan");
        }
        var runs = sample.Select(s => Fp32Run(s.Voxels)).Select(r => new SampleRun(r.Plan, r.Fp32)).ToList();
        bool sequential = methods.HasFlag(PtqMethods.Sequential);

        // 1. Per int8-capable node, in network order: the observer and SmoothQuant strength with the smallest layer error
        // over the sample, then (as methods ask) the weights rounded on the sample's gathered inputs (GPTQ) and the bias
        // corrected, each where it lowers that error. Sequentially, each node's inputs come from the int8 network decided
        // so far (its output then joins that path); otherwise from the fp32 network.
        var chosen = new Dictionary<string, LayerChoice>(StringComparer.Ordinal);
        var observers = observer == ScaleObserver.Auto ? [ScaleObserver.Max, ScaleObserver.Percentile, ScaleObserver.Mse] : new[] { observer };
        foreach (var name in _network.Network.Nodes.Select(n => n.Name))
        {
            if (!statistics.Nodes.TryGetValue(name, out var nodeStatistics))
            {
                if (sequential)
                {
                    ExtendInt8Path(runs, IndexOf(name), null);
                }
                continue;
            }
            progress?.Invoke($"choosing scales for {name}");
            int index = IndexOf(name);
            var layer = _network.Layers[index];
            var conv = _weights[name];
            var format = _network.ActivationFormatOf(name, unsignedActivations);
            int levels = ActivationFormats.Of(format).Max;
            var candidates = new List<(LayerQuantization, ScaleObserver)>();
            foreach (double? alpha in layer.SmoothQuant ? Alphas.Select(a => (double?)a).Prepend(null) : [null])
            {
                float[]? factors = alpha is { } a ? SmoothQuant.Factors(nodeStatistics.Maxima, conv, a) : null;
                foreach (var o in observers)
                {
                    float threshold = ScaleObservers.Threshold(nodeStatistics, factors, o, format);
                    candidates.Add((PrecisionPlan.ForKernelsOf(layer, new LayerQuantization(threshold / levels, factors, alpha, Format: format)), o));
                }
            }
            var best = candidates.Select(c => (c.Item1, c.Item2, LayerError(runs, index, c.Item1))).MinBy(c => c.Item3);
            var (quantization, error) = (best.Item1, best.Item3);
            if (methods.HasFlag(PtqMethods.Gptq) && GptqRounding.Fits(conv.Kernel.Product, conv.InChannels))
            {
                progress?.Invoke($"Hessian-aware rounding of {name}");
                var inputs = runs.Select(r => (r.Plan.Nodes[index].Map, r.InputOf(name))).ToList();
                if (GptqRounding.Round(conv, quantization.Smoothing, inputs) is { } weights)
                {
                    var rounded = quantization with { RoundedWeights = weights };
                    double roundedError = LayerError(runs, index, rounded);
                    if (roundedError < error)
                    {
                        (quantization, error) = (rounded, roundedError);
                    }
                }
            }
            if (methods.HasFlag(PtqMethods.BiasCorrection))
            {
                (quantization, error) = BiasCorrected(runs, index, quantization, error);
            }
            chosen[name] = new LayerChoice(quantization, best.Item2, error);
            if (sequential)
            {
                ExtendInt8Path(runs, index, quantization);
            }
        }
        foreach (var run in runs)
        {
            run.Int8Path.Clear(); // steps 2 and 3 measure whole networks
        }

        (OutputAgreement Agreement, double Ms) Measure(IEnumerable<string> nodes) =>
            NetworkAgreement(runs, PrecisionPlan.Static(nodes.ToDictionary(n => n, n => chosen[n].Quantization, StringComparer.Ordinal)));
        OutputAgreement Agreement(IEnumerable<string> nodes) => Measure(nodes).Agreement;

        // 2. With PtqMethods.ClipSearch, clipping searched on the network output: in network order, with every layer int8, each layer's activation
        // scale is shrunk or grown by the factors in ClipFactors (bias correction re-measured for each) and the factor
        // with the best worst-scan SQNR of the output is kept. The layer error of step 1 cannot see what a clipped
        // outlier costs the layers after it; the output can.
        var all = chosen.Keys.ToList();
        double score = methods.HasFlag(PtqMethods.ClipSearch) ? Agreement(all).WorstSqnrDb : 0;
        foreach (var name in _network.Network.Nodes.Select(n => n.Name).Where(n => methods.HasFlag(PtqMethods.ClipSearch) && chosen.ContainsKey(n)))
        {
            progress?.Invoke($"clipping search for {name}");
            int index = IndexOf(name);
            var start = chosen[name];
            foreach (double factor in ClipFactors)
            {
                var scaled = start.Quantization with { ActivationScale = (float)(start.Quantization.ActivationScale * factor), BiasCorrection = null };
                var (quantization, error) = (scaled, LayerError(runs, index, scaled));
                if (methods.HasFlag(PtqMethods.BiasCorrection))
                {
                    (quantization, error) = BiasCorrected(runs, index, quantization, error);
                }
                var kept = chosen[name];
                chosen[name] = new LayerChoice(quantization, start.Observer, error, factor);
                double trial = Agreement(all).WorstSqnrDb;
                if (trial > score)
                {
                    score = trial;
                }
                else
                {
                    chosen[name] = kept;
                }
            }
        }

        // 3. Where the error enters: the network output with each layer alone int8 (the per-layer sensitivity the
        // reports show). Then the precision policy: all int8, then demote the most sensitive layer while the target is missed.
        var alone = new Dictionary<string, OutputAgreement>(StringComparer.Ordinal);
        var sensitivity = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var name in chosen.Keys)
        {
            progress?.Invoke($"sensitivity of {name}");
            alone[name] = Agreement([name]);
            sensitivity[name] = target.Cosine is not null ? 1 - alone[name].WorstCosine : -alone[name].WorstSqnrDb;
        }
        progress?.Invoke("measuring the network output");
        var int8 = chosen.Keys.ToHashSet(StringComparer.Ordinal);
        var (agreement, ms) = Measure(int8);
        var curve = new List<PolicyStep> { new(int8.Count, null, agreement, ms) };
        foreach (var name in sensitivity.OrderByDescending(s => s.Value).ThenBy(s => s.Key, StringComparer.Ordinal).Select(s => s.Key))
        {
            if (target.MetBy(agreement))
            {
                break;
            }
            int8.Remove(name);
            progress?.Invoke($"{name} back to fp32 ({int8.Count} int8 layers left)");
            (agreement, ms) = Measure(int8);
            curve.Add(new PolicyStep(int8.Count, name, agreement, ms));
        }

        // 4. The entries, with the int8 output multipliers of the nodes whose readers take int8 straight from them.
        var precision = PrecisionPlan.Static(int8.ToDictionary(n => n, n => chosen[n].Quantization, StringComparer.Ordinal));
        var needs = precision.NeedsOf(runs[0].Plan);
        var layers = _network.Network.Nodes.Select((node, i) =>
        {
            chosen.TryGetValue(node.Name, out var c);
            double? error = c?.RelativeL2;
            double? sensitive = sensitivity.TryGetValue(node.Name, out var s) ? s : null;
            if (!chosen.ContainsKey(node.Name))
            {
                return new LayerProfile(node.Name, false);
            }
            var format = c!.Quantization.Format;
            float naive = ScaleObservers.Threshold(statistics.Nodes[node.Name], null, ScaleObserver.Max, format) / ActivationFormats.Of(format).Max;
            var single = alone[node.Name];
            if (!int8.Contains(node.Name))
            {
                return new LayerProfile(node.Name, false, c.Quantization.ActivationScale, c.Observer, c.Quantization.Alpha, c.Quantization.Smoothing,
                    null, error, sensitive, naive, c.Quantization.BiasCorrection, c.Clip, c.Quantization.RoundedWeights, format, single);
            }
            float[]? multipliers = null;
            if (needs[i].Int8Output)
            {
                var reader = _network.Network.Nodes.First(n => n.From == node.Name);
                multipliers = new LayerWeights(_weights[reader.Name]).Quantized(chosen[reader.Name].Quantization).Int8!.ActivationMultipliers;
            }
            return new LayerProfile(node.Name, true, c.Quantization.ActivationScale, c.Observer, c.Quantization.Alpha, c.Quantization.Smoothing,
                multipliers, error, sensitive, naive, c.Quantization.BiasCorrection, c.Clip, c.Quantization.RoundedWeights, format, single);
        }).ToList();
        return new QuantizationProfile(
            statistics.Network, statistics.NetworkHash, statistics.WeightsHash, statistics.Scans.Select(s => s.Name).ToList(), sample.Select(s => s.Name).ToList(),
            observer, target.ToString(), agreement, curve, layers, Methods: methods);
    }

    /// <summary>
    /// The profile of another toolchain's scales (<paramref name="layers"/>: NVIDIA's PTQ amax per node), measured as a
    /// calibration is: its plan's agreement with fp32 on the same sample of <paramref name="set"/> a calibration decides
    /// on (<see cref="CalibrationSettings.SampleSize"/> scans), whose sensors it records — so it and a profile calibrated
    /// here compare on the same scans. <paramref name="source"/> names the scales in the profile's target.
    /// </summary>
    public QuantizationProfile Adopt(IReadOnlyList<ExternalLayerScales> layers, string source, CalibrationSet set, Points.VoxelConfig? config = null,
        int sampleSize = CalibrationSettings.DefaultSampleSize)
    {
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(set);
        var byNode = layers.ToDictionary(l => l.Node, StringComparer.Ordinal);
        var quantization = new Dictionary<string, LayerQuantization>(StringComparer.Ordinal);
        foreach (var node in _network.Network.Nodes)
        {
            var entry = byNode.GetValueOrDefault(node.Name) ?? throw new ArgumentException($"the imported scales have no entry for node {node.Name}");
            if (entry.Int8 && entry.InputAmax is null)
            {
                throw new ArgumentException($"node {node.Name} is int8 without an input amax");
            }
            if (entry.InputAmax is { } amax && _network.Layers[IndexOf(node.Name)].HasW8A8)
            {
                if (!(amax > 0 && float.IsFinite(amax)))
                {
                    throw new ArgumentException($"node {node.Name}: input amax {amax} is not positive and finite");
                }
                quantization[node.Name] = new LayerQuantization(amax / ActivationFormats.Of(entry.Format).Max, Format: entry.Format);
            }
            else if (entry.Int8)
            {
                throw new ArgumentException($"node {node.Name} is int8 in the imported scales but {_network.Layers[IndexOf(node.Name)].Name} has no W8A8 kernels");
            }
        }
        var int8 = _network.Network.Nodes.Where(n => byNode[n.Name].Int8).Select(n => n.Name).ToList();
        var precision = PrecisionPlan.Static(int8.ToDictionary(n => n, n => quantization[n], StringComparer.Ordinal));
        var clouds = set.Sample(sampleSize).Select(s => (s.Name, Cloud: set.Read(s.Index))).ToList();
        var runs = clouds.Select(c => Fp32Run(_network.Voxelize(c.Cloud, config))).ToList();
        var (agreement, ms) = NetworkAgreement(runs, precision);
        var needs = precision.NeedsOf(runs[0].Plan);
        var entries = _network.Network.Nodes.Select((node, i) =>
        {
            if (!quantization.TryGetValue(node.Name, out var q))
            {
                return new LayerProfile(node.Name, false);
            }
            float[]? multipliers = null;
            if (int8.Contains(node.Name) && needs[i].Int8Output)
            {
                var reader = _network.Network.Nodes.First(n => n.From == node.Name);
                multipliers = new LayerWeights(_weights[reader.Name]).Quantized(quantization[reader.Name]).Int8!.ActivationMultipliers;
            }
            return new LayerProfile(node.Name, int8.Contains(node.Name), q.ActivationScale, ScaleObserver.Max, OutputMultipliers: multipliers, Format: q.Format);
        }).ToList();
        return new QuantizationProfile(
            _network.Network.Name, ProfileHashes.Network(_network), ProfileHashes.Weights(_network, _weights), set.Scans.Select(s => s.Name).ToList(),
            clouds.Select(c => c.Name).ToList(), ScaleObserver.Max, $"imported: {source}", agreement, [new PolicyStep(int8.Count, null, agreement, ms)], entries,
            ProfileInput.Of(clouds.Select(c => c.Cloud), _network.Network.Input.IntensityMax));
    }

    /// <summary>The network output's agreement with fp32 on <paramref name="scans"/> under <paramref name="precision"/>.</summary>
    public OutputAgreement Agreement(IReadOnlyList<SparseTensor> scans, PrecisionPlan precision) =>
        NetworkAgreement(scans.Select(Fp32Run).ToList(), precision).Agreement;

    /// <summary>The agreement over <paramref name="runs"/>, and the network's mean time per scan.</summary>
    private (OutputAgreement Agreement, double Ms) NetworkAgreement(IEnumerable<SampleRun> runs, PrecisionPlan precision) =>
        NetworkAgreement(runs.Select(r => (r.Plan, r.Fp32)).ToList(), precision);

    /// <summary>The agreement over <paramref name="runs"/>, and the network's mean time per scan.</summary>
    private (OutputAgreement Agreement, double Ms) NetworkAgreement(List<(NetworkPlan Plan, NetworkRun Fp32)> runs, PrecisionPlan precision)
    {
        var results = runs.Select(run =>
        {
            var result = _runner.Run(run.Plan, _weights, _runner.Defaults(run.Plan, precision), precision);
            return (Metrics: ErrorMetrics.Compare(result.Output.Features, run.Fp32.Output.Features), result.TotalMs);
        }).ToList();
        var metrics = results.Select(r => r.Metrics).ToList();
        return (new OutputAgreement(metrics.Min(m => m.Cosine), metrics.Average(m => m.Cosine), metrics.Min(m => m.SqnrDb), metrics.Average(m => m.SqnrDb)),
            results.Average(r => r.TotalMs));
    }

    /// <summary>
    /// Pooled relative L2 of node <paramref name="index"/>'s int8 output, on the input each sample run gives it (the fp32
    /// network's, or the int8 path's), against the fp32 network's output over the sample.
    /// </summary>
    private double LayerError(List<SampleRun> runs, int index, LayerQuantization quantization)
    {
        var name = _network.Network.Nodes[index].Name;
        var prepared = new LayerWeights(_weights[name]).Quantized(quantization);
        double error = 0, reference = 0;
        foreach (var run in runs)
        {
            var output = Int8Output(run, index, prepared);
            var expected = run.Fp32.Outputs[name].Features;
            for (int i = 0; i < output.Length; i++)
            {
                double d = output[i] - (double)expected[i];
                error += d * d;
                reference += (double)expected[i] * expected[i];
            }
        }
        return reference > 0 ? Math.Sqrt(error / reference) : Math.Sqrt(error);
    }

    /// <summary>Node <paramref name="index"/>'s output with <paramref name="weights"/> (int8, or fp32 without a quantization) on the run's input.</summary>
    private float[] Int8Output(SampleRun run, int index, LayerWeights weights)
    {
        var node = run.Plan.Nodes[index];
        var layer = _network.Layers[index];
        var precision = weights.Int8 is null ? Precision.F32 : Precision.W8A8;
        var kernel = DefaultVariantChoice.Pick(layer, new KernelNeeds(precision, Residual: node.Node.Residual is not null), _runner.Accelerator);
        var output = new float[node.Map.OutputCount * layer.OutChannels];
        kernel.Run(_runner.Accelerator, new ConvCall
        {
            Map = node.Map, Weights = weights, Input = run.InputOf(node.Node.Name), Output = output, Residual = run.ResidualOf(node.Node.Name),
        });
        return output;
    }

    /// <summary>Sequential calibration: node <paramref name="index"/>'s output on the int8 path, int8 with <paramref name="quantization"/> (fp32 without).</summary>
    private void ExtendInt8Path(List<SampleRun> runs, int index, LayerQuantization? quantization)
    {
        var name = _network.Network.Nodes[index].Name;
        var weights = new LayerWeights(_weights[name]);
        var prepared = quantization is null ? weights : weights.Quantized(quantization);
        foreach (var run in runs)
        {
            run.Int8Path[name] = Int8Output(run, index, prepared);
        }
    }

    /// <summary>
    /// <paramref name="quantization"/> with bias correction (<see cref="MeanShift"/>) where that lowers the layer error
    /// below <paramref name="error"/>, which removes the systematic part of the rounding and clipping error — the part
    /// ReLU outputs, all ≥ 0, do not average out; otherwise unchanged.
    /// </summary>
    private (LayerQuantization Quantization, double Error) BiasCorrected(
        List<SampleRun> runs, int index, LayerQuantization quantization, double error)
    {
        var corrected = quantization with { BiasCorrection = MeanShift(runs, index, quantization) };
        double correctedError = LayerError(runs, index, corrected);
        return correctedError < error ? (corrected, correctedError) : (quantization, error);
    }

    /// <summary>
    /// δ [Cout]: per output channel, the mean over the sample's output sites of node <paramref name="index"/>'s int8
    /// pre-activation (on the input the run gives it, plus the residual it adds) minus the fp32 network's (both exact via
    /// <see cref="PreActivation"/>). On the fp32 network's input this is the layer's own rounding bias; on the int8 path's
    /// (sequential calibration) it also holds the shift the layers before left.
    /// </summary>
    private float[] MeanShift(List<SampleRun> runs, int index, LayerQuantization quantization)
    {
        var name = _network.Network.Nodes[index].Name;
        var layer = _network.Layers[index];
        var conv = _weights[name];
        LayerWeights positive = new(conv), negative = new(conv.Negated());
        var uncorrected = quantization with { BiasCorrection = null };
        var negatedQuantization = uncorrected with { RoundedWeights = uncorrected.RoundedWeights is { } q ? Array.ConvertAll(q, v => (sbyte)-v) : null };
        var fp32 = DefaultVariantChoice.Pick(layer, Precision.F32, _runner.Accelerator);
        var int8 = DefaultVariantChoice.Pick(layer, Precision.W8A8, _runner.Accelerator);
        int cout = layer.OutChannels;
        var sums = new double[cout];
        long rows = 0;
        foreach (var run in runs)
        {
            var map = run.Plan.Nodes[index].Map;
            var exact = PreActivation.Of(fp32, _runner.Accelerator, map, layer.Activation, positive, negative, InputOf(run.Plan, run.Fp32, name).Features);
            var quantized = PreActivation.Of(int8, _runner.Accelerator, map, layer.Activation, positive.Quantized(uncorrected), negative.Quantized(negatedQuantization), run.InputOf(name));
            var residual = run.ResidualOf(name);
            var fp32Residual = run.Plan.Nodes[index].Node.Residual is { } from ? run.Fp32.Outputs[from].Features : null;
            for (int j = 0; j < exact.Length; j++)
            {
                double shift = (double)quantized[j] - exact[j];
                if (residual is not null && !ReferenceEquals(residual, fp32Residual))
                {
                    shift += (double)residual[j] - fp32Residual![j];
                }
                sums[j % cout] += shift;
            }
            rows += map.OutputCount;
        }
        return sums.Select(sum => rows > 0 ? (float)(sum / rows) : 0f).ToArray();
    }

    private (NetworkPlan Plan, NetworkRun Fp32) Fp32Run(SparseTensor voxels)
    {
        var plan = _runner.Plan(_network, voxels);
        return (plan, _runner.Run(plan, _weights, _runner.Defaults(plan, PrecisionPlan.F32), PrecisionPlan.F32, keepOutputs: true));
    }

    private static SparseTensor InputOf(NetworkPlan plan, NetworkRun fp32, string node)
    {
        var from = plan.Nodes.First(n => n.Node.Name == node).Node.From;
        return from == SparseNetwork.InputName ? plan.Input : fp32.Outputs[from];
    }

    private int IndexOf(string node)
    {
        for (int i = 0; i < _network.Network.Nodes.Count; i++)
        {
            if (_network.Network.Nodes[i].Name == node)
            {
                return i;
            }
        }
        throw new InvalidDataException($"the statistics name node {node}, which this network does not have");
    }
}
