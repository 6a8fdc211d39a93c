using KernelGen.Tensors;

namespace KernelGen.KernelMaps;

/// <summary>Builds the kernel map of a submanifold or regular sparse conv over the sites of an input tensor.</summary>
/// <remarks>
/// Implementations must agree exactly (same output order, same map); inverse maps come from
/// <see cref="KernelMap.Invert"/> on the forward conv's map. Builders reject coordinates outside the input's
/// batch or spatial shape and duplicate sites, naming the first offending row.
/// </remarks>
public interface IKernelMapBuilder
{
    /// <summary>Builds the map of <paramref name="geometry"/> over the sites of <paramref name="input"/>.</summary>
    KernelMap Build(SparseTensor input, ConvGeometry geometry);
}
