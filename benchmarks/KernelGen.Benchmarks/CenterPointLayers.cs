using KernelGen;
using KernelGen.KernelMaps;

namespace KernelGen.Benchmarks;

/// <summary>
/// The 21 convs of CenterPoint's SpMiddleResNetFHD (nuScenes voxelnet) as benchmark shapes: name, geometry, channels
/// and spconv indice key (SubM layers of a stage share one map). The annotated sample model replaces this list once it
/// exists; until then the benchmarks need the shapes.
/// </summary>
public static class CenterPointLayers
{
    public sealed record Layer(string Name, ConvGeometry Geometry, int InChannels, int OutChannels, string IndiceKey);

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
