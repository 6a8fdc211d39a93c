using KernelGen.Models.CenterPoint;
using KernelGen;
using KernelGen.KernelMaps;
using KernelGen.Variants;

namespace KernelGen.Samples.CenterPoint;

/// <summary>
/// The 21 convs of CenterPoint's SpMiddleResNetFHD (nuScenes voxelnet), in order: name, geometry, channels, spconv
/// indice key (SubM layers of a stage share one map) and the generated layer class that runs that shape.
/// Residual blocks: a layer named "….conv2" adds the input of the "….conv1" before it, then ReLU.
/// </summary>
public static class CenterPointLayers
{
    public sealed record Layer(string Name, ConvGeometry Geometry, int InChannels, int OutChannels, string IndiceKey)
    {
        /// <summary>The generated layer (annotated class) for this conv's shape.</summary>
        public LayerDescriptor Generated => Name == "extra_conv" ? ExtraConv.Layer : (Geometry.Kind, InChannels, OutChannels) switch
        {
            (ConvKind.SubManifold, 5, 16) => ConvInput.Layer,
            (ConvKind.SubManifold, 16, 16) => Subm16.Layer,
            (ConvKind.Sparse, 16, 32) => Down16To32.Layer,
            (ConvKind.SubManifold, 32, 32) => Subm32.Layer,
            (ConvKind.Sparse, 32, 64) => Down32To64.Layer,
            (ConvKind.SubManifold, 64, 64) => Subm64.Layer,
            (ConvKind.Sparse, 64, 128) => Down64To128.Layer,
            (ConvKind.SubManifold, 128, 128) => Subm128.Layer,
            _ => throw new InvalidOperationException($"no generated layer for {Name}"),
        };

        /// <summary>Whether this conv starts a residual block (its input is added after the block's second conv).</summary>
        public bool StartsBlock => Name.EndsWith(".conv1", StringComparison.Ordinal);

        /// <summary>Whether this conv ends a residual block (adds the block's input before its ReLU).</summary>
        public bool AddsResidual => Name.EndsWith(".conv2", StringComparison.Ordinal);
    }

    private static readonly ConvGeometry Subm = ConvGeometry.Uniform(ConvKind.SubManifold, 3, 1, 1);
    private static readonly ConvGeometry Down = ConvGeometry.Uniform(ConvKind.Sparse, 3, 2, 1);
    private static readonly ConvGeometry Down4 = new(ConvKind.Sparse, Triple.All(3), Triple.All(2), new Triple(0, 1, 1), Triple.All(1));
    private static readonly ConvGeometry Extra = new(ConvKind.Sparse, new Triple(3, 1, 1), new Triple(2, 1, 1), Triple.All(0), Triple.All(1));

    public static IReadOnlyList<Layer> All { get; } = Build();

    private static List<Layer> Build()
    {
        var layers = new List<Layer> { new("conv_input", Subm, 5, 16, "res0") };
        void Blocks(string stage, int channels, string key)
        {
            for (int block = 0; block < 2; block++)
            {
                layers.Add(new($"{stage}.{block}.conv1", Subm, channels, channels, key));
                layers.Add(new($"{stage}.{block}.conv2", Subm, channels, channels, key));
            }
        }
        Blocks("conv1", 16, "res0");
        layers.Add(new("conv2.down", Down, 16, 32, "spconv2"));
        Blocks("conv2", 32, "res1");
        layers.Add(new("conv3.down", Down, 32, 64, "spconv3"));
        Blocks("conv3", 64, "res2");
        layers.Add(new("conv4.down", Down4, 64, 128, "spconv4"));
        Blocks("conv4", 128, "res3");
        layers.Add(new("extra_conv", Extra, 128, 128, "extra"));
        return layers;
    }
}
