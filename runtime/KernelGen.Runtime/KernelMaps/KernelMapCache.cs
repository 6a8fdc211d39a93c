using System.Diagnostics;
using KernelGen.Tensors;

namespace KernelGen.KernelMaps;

/// <summary>
/// Kernel maps by key (spconv's <c>indice_key</c>): consecutive SubM layers on the same sites share one map, and an
/// inverse conv finds the map of the conv it inverts under that conv's key.
/// </summary>
/// <remarks>
/// A key names one (sites, geometry) pair. Asking for a cached key with another geometry or other sites is a bug in
/// the caller's model and throws, instead of silently running a layer on the wrong neighbours.
/// </remarks>
public sealed class KernelMapCache
{
    private readonly IKernelMapBuilder _builder;
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, KernelMap> _inverses = new(StringComparer.Ordinal);

    /// <summary>A cache that builds missing maps with <paramref name="builder"/>.</summary>
    public KernelMapCache(IKernelMapBuilder builder) => _builder = builder ?? throw new ArgumentNullException(nameof(builder));

    /// <summary>Maps built so far (cache misses).</summary>
    public int Builds { get; private set; }

    /// <summary>Requests answered from the cache.</summary>
    public int Hits { get; private set; }

    /// <summary>Every map built so far, in build order, with what it took (for run summaries and reports).</summary>
    public IReadOnlyList<KernelMapBuild> Built => _built;

    private readonly List<KernelMapBuild> _built = [];

    /// <summary>The map for <paramref name="key"/>, built on first use.</summary>
    public KernelMap GetOrBuild(string key, SparseTensor input, ConvGeometry geometry)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(geometry);
        if (_entries.TryGetValue(key, out var entry))
        {
            if (entry.Map.Geometry != geometry)
            {
                throw new InvalidOperationException(
                    $"indice key '{key}' holds a map for {entry.Map.Geometry}, but {geometry} was asked for");
            }
            if (!SameSites(entry.InputCoordinates, input.Coordinates) || entry.Map.InputShape != input.SpatialShape)
            {
                throw new InvalidOperationException(
                    $"indice key '{key}' holds a map built on {entry.InputCoordinates.Length / 4} other input sites; a key must name one set of sites");
            }
            Hits++;
            return entry.Map;
        }
        var watch = BuildWatch.Start();
        var map = _builder is IScratchKernelMapBuilder reusing
            ? reusing.Build(input, geometry, _scratch ??= new MapBuildScratch())
            : _builder.Build(input, geometry);
        _built.Add(watch.Stop(key, map));
        _entries.Add(key, new Entry(map, input.Coordinates));
        Builds++;
        return map;
    }

    /// <summary>The inverse conv's map for the regular conv cached under <paramref name="forwardKey"/>.</summary>
    public KernelMap GetInverse(string forwardKey)
    {
        if (_inverses.TryGetValue(forwardKey, out var inverse))
        {
            Hits++;
            return inverse;
        }
        if (!_entries.TryGetValue(forwardKey, out var entry))
        {
            throw new KeyNotFoundException($"no kernel map under indice key '{forwardKey}': run the conv it inverts first");
        }
        var watch = BuildWatch.Start();
        inverse = entry.Map.Invert(entry.InputCoordinates);
        _built.Add(watch.Stop(forwardKey, inverse));
        _inverses.Add(forwardKey, inverse);
        Builds++;
        return inverse;
    }

    // What the builder keeps between the maps built on one set of sites (the device builder: uploaded, hashed sites).
    private MapBuildScratch? _scratch;

    /// <summary>
    /// Tells a builder that keeps site state (<see cref="IScratchKernelMapBuilder"/>) that <paramref name="sites"/>'
    /// coordinates are on the device already (<paramref name="coordinates"/>, owned by the caller), for the builds until
    /// <see cref="ReleaseBuildScratch"/>. Other builders read the host copy anyway.
    /// </summary>
    internal void KnowSites(SparseTensor sites, ILGPU.Runtime.MemoryBuffer1D<int, ILGPU.Stride1D.Dense> coordinates)
    {
        if (_builder is IScratchKernelMapBuilder reusing)
        {
            reusing.KnowSites(_scratch ??= new MapBuildScratch(), sites, coordinates);
        }
    }

    /// <summary>
    /// Frees what the builder kept between this cache's builds (the planner calls it once every map of a plan is built);
    /// later builds start afresh. The maps themselves stay.
    /// </summary>
    internal void ReleaseBuildScratch()
    {
        _scratch?.Dispose();
        _scratch = null;
    }

    /// <summary>Drops every map (for example when a new frame arrives).</summary>
    public void Clear()
    {
        ReleaseBuildScratch();
        _entries.Clear();
        _inverses.Clear();
        _built.Clear();
    }

    private static bool SameSites(int[] cached, int[] requested) =>
        ReferenceEquals(cached, requested) || cached.AsSpan().SequenceEqual(requested);

    private sealed record Entry(KernelMap Map, int[] InputCoordinates);

    /// <summary>Time and bytes allocated (by every thread: the builders run in parallel) from start to stop.</summary>
    private readonly record struct BuildWatch(long StartTimestamp, long StartAllocated)
    {
        public static BuildWatch Start() => new(Stopwatch.GetTimestamp(), GC.GetTotalAllocatedBytes(precise: true));

        public KernelMapBuild Stop(string key, KernelMap map) => new(
            key, map.Geometry.Kind, map.Method, map.InputCount, map.OutputCount, map.PairCount, map.Lookups,
            GC.GetTotalAllocatedBytes(precise: true) - StartAllocated, Stopwatch.GetElapsedTime(StartTimestamp).TotalMilliseconds);
    }
}
