using KernelGen.Points;
using KernelGen.Tensors;
using KernelGen.Variants;

namespace KernelGen.Networks;

/// <summary>A network whose every node resolved to a generated layer and passed validation.</summary>
/// <param name="Network">The description.</param>
/// <param name="Layers">Each node's generated layer, in node order.</param>
/// <param name="Voxels">The voxel config the input uses.</param>
/// <param name="FeatureChannels">For each input feature, its channel in the voxelizer's output.</param>
public sealed record ValidatedNetwork(SparseNetwork Network, IReadOnlyList<LayerDescriptor> Layers, VoxelConfig Voxels, IReadOnlyList<int> FeatureChannels)
{
    /// <summary>
    /// The voxels of <paramref name="cloud"/> in <paramref name="config"/> (default: the description's), its intensity
    /// scaled to the description's range first. A scan with no point in the voxel range is an error: there is nothing to
    /// run, and a cosine of 1 or an infinite SQNR measured over zero sites would be a lie.
    /// </summary>
    public SparseTensor Voxelize(PointCloud cloud, VoxelConfig? config = null) => Voxelize(cloud, config, Voxelizer.Voxelize);

    /// <summary>The same with another voxelizer (the device one: <see cref="NetworkRunner.Voxelize"/>).</summary>
    internal SparseTensor Voxelize(PointCloud cloud, VoxelConfig? config, Func<PointCloud, VoxelConfig, VoxelizationResult> voxelizer)
    {
        ArgumentNullException.ThrowIfNull(cloud);
        var voxelConfig = config ?? Voxels;
        var voxels = voxelizer(cloud.ScaledTo(Network.Input.IntensityMax), voxelConfig).Tensor;
        return voxels.Count > 0 ? voxels
            : throw new ArgumentException($"{cloud.Source}: no point of the scan lies in the {voxelConfig.Name} voxel range ({cloud.Count} points read)");
    }

    /// <summary>
    /// Whether the network reads the time-lag channel: its input is several sweeps aggregated (CenterPoint's nuScenes
    /// model, 10 sweeps), so captures are read as a revolution with its earlier revolutions as sweeps
    /// (<see cref="VelodyneCapture.Sweeps"/>) wherever they are the input or the calibration set.
    /// </summary>
    public bool HasTimeChannel => Network.Input.Features.Contains("time");

    /// <summary>
    /// Whether node <paramref name="node"/>'s input is known never to be negative: it reads the output of a node whose layer
    /// ends in a ReLU (after its fused residual, if any). The network input (raw x, y, z, intensity, time) is not. Such a
    /// node's int8 activations are coded u8 (<see cref="ActivationFormat.U8"/>): codes 0…255 instead of −127…127.
    /// </summary>
    public bool HasNonNegativeInput(string node)
    {
        var reader = Network.Find(node) ?? throw new ArgumentException($"the network has no node {node}");
        int producer = Network.Nodes.ToList().FindIndex(n => n.Name == reader.From);
        return producer >= 0 && Layers[producer].Activation == Activation.Relu;
    }

    /// <summary>
    /// The activation format of node <paramref name="node"/>'s int8 input: u8 where <see cref="HasNonNegativeInput"/>,
    /// s8 elsewhere — or s8 everywhere when <paramref name="unsigned"/> is false (symmetric int8, to compare).
    /// </summary>
    public ActivationFormat ActivationFormatOf(string node, bool unsigned = true) =>
        Quantization.ActivationFormats.For(HasNonNegativeInput(node), unsigned);

    /// <summary>
    /// Checks that <paramref name="input"/> already holds the network's input features — a caller's own voxels, one
    /// channel per description feature (<c>x, y, z, intensity[, time]</c>), on the description's grid shape or another
    /// one the caller chose — and returns it; anything else is an error naming the channels.
    /// </summary>
    public SparseTensor CheckInput(SparseTensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Channels != FeatureChannels.Count)
        {
            throw new ArgumentException(
                $"the voxels have {input.Channels} feature channels; {Network.Name} reads {FeatureChannels.Count} ({string.Join(", ", Network.Input.Features)})");
        }
        return input;
    }

    /// <summary>The network's input: the voxel feature channels its description reads (e.g. x, y, z, intensity of five).</summary>
    public SparseTensor InputFeatures(SparseTensor voxels)
    {
        ArgumentNullException.ThrowIfNull(voxels);
        if (FeatureChannels.Any(c => c >= voxels.Channels))
        {
            throw new ArgumentException($"the network reads voxel channel {FeatureChannels.Max()} but the voxels have {voxels.Channels}");
        }
        if (FeatureChannels.SequenceEqual(Enumerable.Range(0, voxels.Channels)))
        {
            return voxels;
        }
        var features = new float[voxels.Count * FeatureChannels.Count];
        for (int row = 0; row < voxels.Count; row++)
        {
            for (int j = 0; j < FeatureChannels.Count; j++)
            {
                features[row * FeatureChannels.Count + j] = voxels.Features[row * voxels.Channels + FeatureChannels[j]];
            }
        }
        return new SparseTensor(features, voxels.Coordinates, FeatureChannels.Count, voxels.SpatialShape, voxels.BatchSize);
    }
}
