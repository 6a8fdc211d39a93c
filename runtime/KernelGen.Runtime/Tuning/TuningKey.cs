using System.Globalization;
using System.Reflection;
using KernelGen.Kernels;
using KernelGen.Variants;

namespace KernelGen.Tuning;

/// <summary>
/// Exactly what a tuning choice depends on — everything that changes the candidate set or its speed: the device, the
/// ILGPU and generator versions (informational, so a rebuilt prerelease does not reuse another build's entries), the
/// layer's signature (kind, channels, kernel, stride, padding, dilation, tile set, bias, activation, SmoothQuant), what
/// the use needs (precision, residual, int8 input/output) and the input size bucket (log2 of the active sites).
/// </summary>
public sealed record TuningKey(
    string Device, string IlgpuVersion, string GeneratorVersion, string Kind, int InChannels, int OutChannels,
    string Kernel, string Stride, string Padding, string Dilation, string Tiles, bool Bias, Activation Activation, bool SmoothQuant,
    string Needs, int SizeBucket)
{
    private static readonly string Ilgpu =
        typeof(ILGPU.Context).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(ILGPU.Context).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>The key of <paramref name="layer"/> used with <paramref name="needs"/> for <paramref name="activeSites"/> sites on <paramref name="device"/>.</summary>
    public static TuningKey For(LayerDescriptor layer, KernelNeeds needs, string device, int activeSites)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(needs);
        var g = layer.Geometry;
        return new TuningKey(
            device, Ilgpu, layer.GeneratorVersion, g.Kind.ToString(), layer.InChannels, layer.OutChannels, g.Kernel.ToString(),
            g.Stride.ToString(), g.Padding.ToString(), g.Dilation.ToString(), layer.TileSet, layer.HasBias, layer.Activation,
            needs.Precision == Precision.W8A8 && layer.SmoothQuant, needs.Text, SizeBucketOf(activeSites));
    }

    /// <summary>floor(log2(sites)), 0 for fewer than 2 sites: inputs within a factor of two share a choice.</summary>
    public static int SizeBucketOf(int activeSites) => activeSites < 2 ? 0 : (int)Math.Floor(Math.Log2(activeSites));

    /// <summary>The key as one readable string (the cache's property name).</summary>
    public string Text => string.Join('|',
        Device, $"ilgpu {IlgpuVersion}", $"generator {GeneratorVersion}", Kind, $"{InChannels}->{OutChannels}", $"k{Kernel}",
        $"s{Stride}", $"p{Padding}", $"d{Dilation}", $"tiles {Tiles}", Bias ? "bias" : "no bias", Activation.ToString(),
        SmoothQuant ? "SmoothQuant" : "no SmoothQuant", Needs, "2^" + SizeBucket.ToString(CultureInfo.InvariantCulture));
}
