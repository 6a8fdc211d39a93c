using KernelGen.Tensors;

namespace KernelGen.KernelMaps;

/// <summary>
/// What a builder keeps between the maps of one plan (a <see cref="KernelMapCache"/>'s builds until it releases it): per
/// set of input sites — the coordinates array, the spatial shape and the batch size — the builder's state for them, e.g.
/// the device builder's uploaded coordinates and hash table, so that the SubM and strided maps of one site set upload and
/// hash it once, and a strided map's output sites, already on the device, are never uploaded again.
/// </summary>
/// <remarks>
/// Sites are recognized by the identity of their coordinates array: within one plan the planner hands the same array to
/// every map on those sites and nobody changes it. Across plans nothing is kept (a caller may refill an array for the
/// next frame).
/// </remarks>
internal sealed class MapBuildScratch : IDisposable
{
    private readonly Dictionary<(int[] Coordinates, SpatialShape Shape, int BatchSize), IDisposable> _bySites = new(new SitesComparer());

    /// <summary>The state kept for <paramref name="sites"/>, or null.</summary>
    public T? Find<T>(SparseTensor sites)
        where T : class, IDisposable =>
        _bySites.TryGetValue((sites.Coordinates, sites.SpatialShape, sites.BatchSize), out var state) ? (T)state : null;

    /// <summary>Keeps <paramref name="state"/> for the sites given by <paramref name="coordinates"/>, <paramref name="shape"/> and <paramref name="batchSize"/> (disposed with the scratch).</summary>
    public void Keep(int[] coordinates, SpatialShape shape, int batchSize, IDisposable state)
    {
        if (_bySites.Remove((coordinates, shape, batchSize), out var previous))
        {
            previous.Dispose();
        }
        _bySites.Add((coordinates, shape, batchSize), state);
    }

    /// <summary>Frees every kept state.</summary>
    public void Dispose()
    {
        foreach (var state in _bySites.Values)
        {
            state.Dispose();
        }
        _bySites.Clear();
    }

    private sealed class SitesComparer : IEqualityComparer<(int[] Coordinates, SpatialShape Shape, int BatchSize)>
    {
        public bool Equals((int[] Coordinates, SpatialShape Shape, int BatchSize) x, (int[] Coordinates, SpatialShape Shape, int BatchSize) y) =>
            ReferenceEquals(x.Coordinates, y.Coordinates) && x.Shape == y.Shape && x.BatchSize == y.BatchSize;

        public int GetHashCode((int[] Coordinates, SpatialShape Shape, int BatchSize) sites) =>
            HashCode.Combine(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(sites.Coordinates), sites.Shape, sites.BatchSize);
    }
}
