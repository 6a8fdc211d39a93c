using System.Globalization;
using KernelGen.Variants;

namespace KernelGen.Tuning;

/// <summary>
/// Exactly what a tuning choice depends on: the device, the ILGPU and generator versions, the layer's signature
/// (kind, channels, kernel, stride, padding, dilation, precision) and the input size bucket (log2 of the active sites).
/// </summary>
public sealed record TuningKey(
    string Device, string IlgpuVersion, string GeneratorVersion, string Kind, int InChannels, int OutChannels,
    string Kernel, string Stride, string Padding, string Dilation, Precision Precision, int SizeBucket)
{
    /// <summary>The key of <paramref name="layer"/> at <paramref name="precision"/> for <paramref name="activeSites"/> sites on <paramref name="device"/>.</summary>
    public static TuningKey For(LayerDescriptor layer, Precision precision, string device, int activeSites)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var g = layer.Geometry;
        return new TuningKey(
            device, typeof(ILGPU.Context).Assembly.GetName().Version?.ToString() ?? "unknown", layer.GeneratorVersion,
            g.Kind.ToString(), layer.InChannels, layer.OutChannels, g.Kernel.ToString(), g.Stride.ToString(), g.Padding.ToString(),
            g.Dilation.ToString(), precision, SizeBucketOf(activeSites));
    }

    /// <summary>floor(log2(sites)), 0 for fewer than 2 sites: inputs within a factor of two share a choice.</summary>
    public static int SizeBucketOf(int activeSites) => activeSites < 2 ? 0 : (int)Math.Floor(Math.Log2(activeSites));

    /// <summary>The key as one readable string (the cache's property name).</summary>
    public string Text => string.Join('|',
        Device, $"ilgpu {IlgpuVersion}", $"generator {GeneratorVersion}", Kind, $"{InChannels}->{OutChannels}", $"k{Kernel}",
        $"s{Stride}", $"p{Padding}", $"d{Dilation}", Precision.ToString(), "2^" + SizeBucket.ToString(CultureInfo.InvariantCulture));
}
