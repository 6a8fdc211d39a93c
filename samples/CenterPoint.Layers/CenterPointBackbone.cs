using KernelGen.Models.CenterPoint;
using System.Diagnostics;
using ILGPU.Runtime;
using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Quantization;
using KernelGen.Networks;
using KernelGen.Tensors;
using KernelGen.Tuning;
using KernelGen.Variants;

namespace KernelGen.Samples.CenterPoint;

/// <summary>How one conv of the backbone runs: its map, weights, and the chosen variants (null: the generic kernel).</summary>
public sealed class LayerPlan(CenterPointLayers.Layer layer, KernelMap map, ConvWeights weights)
{
    public CenterPointLayers.Layer Layer { get; } = layer;

    public KernelMap Map { get; } = map;

    public ConvWeights Weights { get; } = weights;

    /// <summary>The fp32 weights as the kernels take them.</summary>
    public LayerWeights Prepared { get; } = new(weights);

    /// <summary>The fp32 kernel (tuned); null runs the default choice (<see cref="DefaultVariantChoice"/>).</summary>
    public IConvKernel? Fp32 { get; set; }

    /// <summary>The W8A8 kernel (tuned); null runs the default choice.</summary>
    public IConvKernel? Int8 { get; set; }

    /// <summary>The int8 weights and scales used when this layer runs int8 (null: the layer runs fp32).</summary>
    public W8A8LayerWeights? Quantized { get; set; }

    /// <summary>How it runs in the quantized model.</summary>
    public QuantMethod Method { get; set; } = QuantMethod.Fp32;

    /// <summary>SmoothQuant alpha when smoothed.</summary>
    public double Alpha { get; set; }

    /// <summary>Name of what runs at <paramref name="int8"/> precision.</summary>
    public string VariantName(bool int8) => (int8 && Method != QuantMethod.Fp32 ? Int8?.Name : Fp32?.Name) ?? "default";
}

/// <summary>One backbone run: every layer's output and time.</summary>
public sealed record BackboneRun(IReadOnlyList<SparseTensor> Outputs, IReadOnlyList<double> LayerMs)
{
    public double TotalMs => LayerMs.Sum();
}

/// <summary>
/// Runs CenterPoint's SpMiddleResNetFHD: the 21 convs in order with folded BatchNorms and ReLU, residual blocks (the
/// second conv of a block adds the block's input before its ReLU), each conv on its planned kernel through the kernel
/// contract. A block's second conv is tuned among the kernels that declare a residual input.
/// </summary>
public sealed class CenterPointBackbone(Accelerator accelerator)
{
    /// <summary>Kernel maps and plans (no variants chosen yet) for <paramref name="voxels"/>.</summary>
    public static List<LayerPlan> Plan(SparseTensor voxels, IReadOnlyDictionary<string, ConvWeights> weights, KernelMapCache maps)
    {
        var plans = new List<LayerPlan>();
        var sites = voxels;
        foreach (var layer in CenterPointLayers.All)
        {
            var map = maps.GetOrBuild(layer.IndiceKey, sites, layer.Geometry);
            plans.Add(new LayerPlan(layer, map, weights[layer.Name]));
            if (layer.Geometry.Kind == ConvKind.Sparse)
            {
                sites = new SparseTensor(new float[map.OutputCount], map.OutputCoordinates, 1, map.OutputShape, map.BatchSize);
            }
        }
        return plans;
    }

    /// <summary>Runs the chain; <paramref name="int8"/> runs the layers planned as int8 in int8.</summary>
    public BackboneRun Run(SparseTensor voxels, IReadOnlyList<LayerPlan> plans, bool int8)
    {
        var outputs = new List<SparseTensor>(plans.Count);
        var byName = new Dictionary<string, SparseTensor>(StringComparer.Ordinal) { [SparseNetwork.InputName] = voxels };
        var times = new List<double>(plans.Count);
        var x = voxels;
        foreach (var plan in plans)
        {
            var residual = plan.Layer.Residual is { } source ? byName[source].Features : null;
            var output = GC.AllocateUninitializedArray<float>(plan.Map.OutputCount * plan.Layer.OutChannels);
            long start = Stopwatch.GetTimestamp();
            RunLayer(plan, x, output, residual, int8 && plan.Method != QuantMethod.Fp32);
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            x = new SparseTensor(output, plan.Map.OutputCoordinates, plan.Layer.OutChannels, plan.Map.OutputShape, plan.Map.BatchSize);
            outputs.Add(x);
            byName[plan.Layer.Name] = x;
        }
        return new BackboneRun(outputs, times);
    }

    /// <summary>One conv of the plan on <paramref name="input"/> (int8 needs <see cref="LayerPlan.Quantized"/>).</summary>
    public void RunLayer(LayerPlan plan, SparseTensor input, float[] output, float[]? residual, bool int8)
    {
        var needs = new KernelNeeds(int8 ? Precision.W8A8 : Precision.F32, Residual: residual is not null);
        var kernel = (int8 ? plan.Int8 : plan.Fp32) ?? DefaultVariantChoice.Pick(plan.Layer.Generated, needs, accelerator);
        if (!kernel.Capabilities.Covers(needs, out var missing))
        {
            throw new InvalidOperationException($"{plan.Layer.Name}: the planned kernel {kernel.Name} does not support {missing}");
        }
        var weights = int8
            ? plan.Prepared.Quantized(plan.Quantized ?? throw new InvalidOperationException($"{plan.Layer.Name} has no int8 weights"))
            : plan.Prepared;
        kernel.Run(accelerator, new ConvCall { Map = plan.Map, Weights = weights, Input = input.Features, Residual = residual, Output = output });
    }

    /// <summary>
    /// CenterPoint's <c>dense()</c> then reshape: the output [C, D, H, W] viewed as a BEV map [C·D, H, W], channel
    /// c·D + d (batch 0).
    /// </summary>
    public static float[] Bev(SparseTensor output, out int[] shape)
    {
        var s = output.SpatialShape;
        int c = output.Channels;
        shape = [c * s.Depth, s.Height, s.Width];
        var bev = new float[(long)c * s.Depth * s.Height * s.Width];
        for (int row = 0; row < output.Count; row++)
        {
            if (output.Coordinates[row * 4] != 0)
            {
                continue;
            }
            int z = output.Coordinates[row * 4 + 1], y = output.Coordinates[row * 4 + 2], x = output.Coordinates[row * 4 + 3];
            for (int channel = 0; channel < c; channel++)
            {
                bev[(((long)channel * s.Depth + z) * s.Height + y) * s.Width + x] = output.Features[row * c + channel];
            }
        }
        return bev;
    }
}
