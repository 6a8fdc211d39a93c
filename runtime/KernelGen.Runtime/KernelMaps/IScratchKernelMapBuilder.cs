using KernelGen.Tensors;

namespace KernelGen.KernelMaps;

/// <summary>A builder that reuses what it learned about a set of sites across the maps of one plan (<see cref="MapBuildScratch"/>).</summary>
internal interface IScratchKernelMapBuilder : IKernelMapBuilder
{
    /// <summary>Builds the map of <paramref name="geometry"/> over the sites of <paramref name="input"/>, keeping and reusing site state in <paramref name="scratch"/>.</summary>
    KernelMap Build(SparseTensor input, ConvGeometry geometry, MapBuildScratch scratch);

    /// <summary>
    /// Tells the builds that keep state in <paramref name="scratch"/> that <paramref name="sites"/>' coordinates are on
    /// an accelerator already (<paramref name="coordinates"/>, [N, 4], owned by the caller: e.g. the device voxelizer's);
    /// a builder that cannot use them there (another accelerator) ignores them.
    /// </summary>
    void KnowSites(MapBuildScratch scratch, SparseTensor sites, ILGPU.Runtime.MemoryBuffer1D<int, ILGPU.Stride1D.Dense> coordinates);
}
