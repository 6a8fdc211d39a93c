using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Points;
using KernelGen.Quantization;
using KernelGen.Networks;
using KernelGen.Tensors;
using KernelGen.Variants;

namespace KernelGen.Samples.QuantStudy;

/// <summary>fp32, naive W8A8 and W8A8 + SmoothQuant measured on one input, each against the float64 reference.</summary>
internal sealed record MethodErrors(ErrorMetrics Fp32, ErrorMetrics W8A8, ErrorMetrics Smooth);

/// <summary>Experiment 1: one row per input scale.</summary>
internal sealed record ScaleRow(double Scale, MethodErrors Errors);

/// <summary>Per-channel statistics of a layer's input.</summary>
internal sealed record ChannelStats(int Channel, float MaxAbs, float MeanAbs)
{
    /// <summary>How far the channel's peak stands out from its typical value.</summary>
    public double PeakToMean => MeanAbs > 0 ? MaxAbs / MeanAbs : 0;
}

/// <summary>Experiment 3: one CenterPoint-shaped layer on real voxels.</summary>
/// <param name="BestSmooth">W8A8 + SmoothQuant at the searched alpha, on every output row.</param>
/// <param name="Naive">The naive W8A8 scales (from the input's maxima).</param>
/// <param name="BestSmoothScales">The SmoothQuant scales at the searched alpha.</param>
internal sealed record RealLayerRow(
    string Name, string Shape, int Sites, MethodErrors Errors, AlphaSearchResult Search, ErrorMetrics BestSmooth,
    IReadOnlyList<ChannelStats> InputChannels, LayerQuantization Naive, LayerQuantization BestSmoothScales);

/// <summary>Everything the report shows.</summary>
internal sealed record QuantReportData(
    string Device, int SyntheticSites, string SyntheticShape, IReadOnlyList<ScaleRow> Scales, AlphaSearchResult AlphaAtTen,
    string Scan, int ScanVoxels, IReadOnlyList<RealLayerRow> RealLayers, IReadOnlyList<PrecisionDecision> Policy, double Budget);

/// <summary>
/// The seed study's experiments, reproduced and extended (docs/SEMANTICS.md, the quantization study). All errors are against the
/// float64 reference of the same conv (<see cref="ReferenceSparseConvolution"/>, which the tests prove equal to a dense
/// conv3d in double at the output sites).
/// </summary>
internal sealed class QuantExperiments(ILGPU.Runtime.Accelerator accelerator)
{
    // Each studied conv runs through the contract: its generic fp32 kernel and its generic W8A8 + SmoothQuant one (naive
    // scales run there with factors of one, the same numbers as a kernel without the smoothing prologue).
    private static LayerDescriptor Layer(string name, ConvGeometry geometry, ConvWeights weights, Activation activation) =>
        LayerDescriptor.Generic(name, geometry, weights.InChannels, weights.OutChannels, activation, precisions: [Precision.W8A8], smoothQuant: true);

    public static readonly double[] Scales = [1, 2, 5, 10];

    /// <summary>
    /// Experiments 1 and 2: the seed's setting, a SubM 3×3×3 conv 5 → 16 (CenterPoint's conv_input) on random sites
    /// with standard-normal features, the same base sample multiplied by 1, 2, 5, 10; then alpha from 0 to 1 at × 10.
    /// </summary>
    public (IReadOnlyList<ScaleRow> Rows, AlphaSearchResult Alpha, int Sites, string Shape) Synthetic(int seed, int siteCount)
    {
        var random = new Random(seed);
        var shape = new SpatialShape(41, 160, 160);
        var sites = new HashSet<long>();
        var coordinates = new List<int>();
        siteCount = (int)Math.Min(siteCount, shape.CellCount / 2);
        while (sites.Count < siteCount)
        {
            int z = random.Next(shape.Depth), y = random.Next(shape.Height), x = random.Next(shape.Width);
            if (sites.Add(shape.Key(0, z, y, x)))
            {
                coordinates.AddRange([0, z, y, x]);
            }
        }
        const int cin = 5, cout = 16;
        var baseFeatures = Normal(random, sites.Count * cin);
        var weights = ConvWeights.FanIn(random, cout, Triple.All(3), cin, bias: false);
        var geometry = ConvGeometry.Uniform(ConvKind.SubManifold, 3, padding: 1);
        var map = new CpuKernelMapBuilder().Build(new SparseTensor(baseFeatures, coordinates.ToArray(), cin, shape), geometry);
        var layer = Layer("conv_input", geometry, weights, Activation.None);

        var rows = new List<ScaleRow>();
        SparseTensor atTen = null!;
        double[] referenceAtTen = null!;
        foreach (double scale in Scales)
        {
            var input = new SparseTensor(baseFeatures.Select(v => (float)(v * scale)).ToArray(), coordinates.ToArray(), cin, shape);
            var reference = ReferenceSparseConvolution.Run(input, map, weights);
            rows.Add(new ScaleRow(scale, Measure(layer, input, map, weights, reference, alpha: 0.5)));
            (atTen, referenceAtTen) = (input, reference);
        }
        var alpha = AlphaSearch.Search(accelerator, layer.GenericKernel(Precision.W8A8), atTen, map, weights, referenceAtTen);
        return (rows, alpha, sites.Count, $"SubM 3×3×3, 5 → 16, {sites.Count} random sites in {shape}");
    }

    /// <summary>
    /// Experiment 3: the voxels of a real scan through the first layers of a network description (for CenterPoint:
    /// conv_input, a conv1 SubM, conv2's strided conv, a conv2 SubM — one node of each shape, <see cref="LayerChain"/>)
    /// with deterministic fan-in weights; each layer gets the fp32 output of the previous one, so every row measures that
    /// layer's own quantization error.
    /// </summary>
    public IReadOnlyList<RealLayerRow> Real(SparseTensor voxels, IReadOnlyList<ChainedLayer> layers, int seed)
    {
        var random = new Random(seed);
        var builder = new CpuKernelMapBuilder();
        var rows = new List<RealLayerRow>();
        var input = voxels;
        foreach (var studied in layers)
        {
            var (geometry, cin, cout) = (studied.Layer.Geometry, studied.Layer.InChannels, studied.Layer.OutChannels);
            var map = builder.Build(input, geometry);
            var weights = ConvWeights.FanIn(random, cout, geometry.Kernel, cin);
            var reference = ReferenceSparseConvolution.Run(input, map, weights, Activation.Relu);
            var layer = Layer(studied.Node, geometry, weights, Activation.Relu);
            var errors = Measure(layer, input, map, weights, reference, alpha: 0.5);
            var search = AlphaSearch.Search(accelerator, layer.GenericKernel(Precision.W8A8), input, map, weights, reference);
            var maxima = LayerQuantizer.ChannelMaxima(input.Features, input.Channels);
            var smooth = LayerQuantization.Calibrate(weights, maxima, smoothQuant: true, search.BestAlpha);
            var bestSmooth = ErrorMetrics.Compare(Run(layer, Precision.W8A8, input, map, new LayerWeights(weights).Quantized(smooth)), reference);
            rows.Add(new RealLayerRow(studied.Node, studied.Shape, input.Count, errors, search, bestSmooth, Channels(input),
                LayerQuantization.Calibrate(weights, maxima, smoothQuant: false), smooth));
            input = layer.GenericKernel(Precision.F32).Run(accelerator, input, map, new LayerWeights(weights));
        }
        return rows;
    }

    private MethodErrors Measure(LayerDescriptor layer, SparseTensor input, KernelMap map, ConvWeights weights, double[] reference, double alpha)
    {
        var prepared = new LayerWeights(weights);
        var maxima = LayerQuantizer.ChannelMaxima(input.Features, input.Channels);
        var naive = PrecisionPlan.ForKernelsOf(layer, LayerQuantization.Calibrate(weights, maxima, smoothQuant: false));
        var smooth = LayerQuantization.Calibrate(weights, maxima, smoothQuant: true, alpha);
        return new MethodErrors(
            ErrorMetrics.Compare(Run(layer, Precision.F32, input, map, prepared), reference),
            ErrorMetrics.Compare(Run(layer, Precision.W8A8, input, map, prepared.Quantized(naive)), reference),
            ErrorMetrics.Compare(Run(layer, Precision.W8A8, input, map, prepared.Quantized(smooth)), reference));
    }

    private float[] Run(LayerDescriptor layer, Precision precision, SparseTensor input, KernelMap map, LayerWeights weights) =>
        layer.GenericKernel(precision).Run(accelerator, input, map, weights).Features;

    public static IReadOnlyList<ChannelStats> Channels(SparseTensor input)
    {
        var max = new float[input.Channels];
        var sum = new double[input.Channels];
        for (int i = 0; i < input.Features.Length; i++)
        {
            float v = Math.Abs(input.Features[i]);
            max[i % input.Channels] = Math.Max(max[i % input.Channels], v);
            sum[i % input.Channels] += v;
        }
        return Enumerable.Range(0, input.Channels)
            .Select(c => new ChannelStats(c, max[c], (float)(sum[c] / Math.Max(1, input.Count))))
            .ToList();
    }

    private static float[] Normal(Random random, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        }
        return values;
    }
}
