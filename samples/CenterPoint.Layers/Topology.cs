using KernelGen.KernelMaps;
using KernelGen.Models;
using KernelGen.Networks;
using KernelGen.Variants;

namespace KernelGen.Samples.CenterPoint;

/// <summary>
/// The 21 convs of CenterPoint's SpMiddleResNetFHD (nuScenes voxelnet), in order, as the built-in description
/// (<c>models/KernelGen.Models/Descriptions/centerpoint.json</c>) gives them: name, generated layer class, spconv indice
/// key (SubM layers of a stage share one map), residual source (a block's second conv adds the block's input before its
/// ReLU) and checkpoint names. The main job's study code reads the network from here; nothing is written twice.
/// </summary>
public static class CenterPointLayers
{
    /// <summary>One conv of the backbone.</summary>
    /// <param name="Name">Node name, e.g. <c>conv2.0.conv1</c>.</param>
    /// <param name="Generated">The generated layer (annotated class) that runs it.</param>
    /// <param name="IndiceKey">Kernel-map sharing key.</param>
    /// <param name="Residual">The node whose output it adds before its ReLU, or null.</param>
    public sealed record Layer(string Name, LayerDescriptor Generated, string IndiceKey, string? Residual)
    {
        /// <summary>Kind, kernel, stride, padding, dilation.</summary>
        public ConvGeometry Geometry => Generated.Geometry;

        /// <summary>Cin.</summary>
        public int InChannels => Generated.InChannels;

        /// <summary>Cout.</summary>
        public int OutChannels => Generated.OutChannels;

        /// <summary>Whether this conv ends a residual block (adds the block's input before its ReLU).</summary>
        public bool AddsResidual => Residual is not null;
    }

    /// <summary>The validated built-in description.</summary>
    public static ValidatedNetwork Network { get; } = BuiltInModels.Load("centerpoint");

    /// <summary>The convs in order.</summary>
    public static IReadOnlyList<Layer> All { get; } =
        Network.Network.Nodes.Zip(Network.Layers, (node, layer) => new Layer(node.Name, layer, node.IndiceKey, node.Residual)).ToList();

    /// <summary>
    /// The backbone's output scattered to a dense BEV-like grid [C · D, H, W] of batch item 0 (zeros where no site), for
    /// comparing runs as the detection head would see them.
    /// </summary>
    public static float[] Bev(KernelGen.Tensors.SparseTensor output, out int[] shape)
    {
        ArgumentNullException.ThrowIfNull(output);
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
