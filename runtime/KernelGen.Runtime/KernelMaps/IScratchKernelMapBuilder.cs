using KernelGen.Tensors;

namespace KernelGen.KernelMaps;

/// <summary>A builder that reuses what it learned about a set of sites across the maps of one plan (<see cref="MapBuildScratch"/>).</summary>
internal interface IScratchKernelMapBuilder : IKernelMapBuilder
{
    /// <summary>Builds the map of <paramref name="geometry"/> over the sites of <paramref name="input"/>, keeping and reusing site state in <paramref name="scratch"/>.</summary>
    KernelMap Build(SparseTensor input, ConvGeometry geometry, MapBuildScratch scratch);
}
