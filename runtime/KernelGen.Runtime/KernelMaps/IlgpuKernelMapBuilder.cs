using KernelGen;
using ILGPU;
using ILGPU.Runtime;
using KernelGen.Kernels;
using KernelGen.Tensors;

namespace KernelGen.KernelMaps;

/// <summary>
/// Builds kernel maps on an ILGPU accelerator with a device hash table (open addressing, linear probing,
/// compare-and-swap inserts): input sites are inserted, regular convs insert their candidate output sites into a
/// second table to make them unique and radix-sort them, and every (output, offset) neighbour is probed in parallel.
/// The result equals <see cref="CpuKernelMapBuilder"/>'s exactly. Within one plan (<see cref="KernelMapCache"/>) a set
/// of sites is uploaded and hashed once for all the maps on it, and a strided map's output sites stay on the device for
/// the maps built on them; the rulebook stays on the device with its map.
/// </summary>
public sealed class IlgpuKernelMapBuilder : IKernelMapBuilder, IScratchKernelMapBuilder
{
    private const long EmptyKey = -1;

    private readonly Accelerator _accelerator;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<int>, SpatialShape, int, ArrayView<long>, ArrayView<int>, ArrayView<int>, GridStrideRange> _insertSites;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<int>, ArrayView<int>, SpatialShape, Triple, int, ArrayView<long>, ArrayView<long>, ArrayView<int>, GridStrideRange> _emitOutputSites;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<long>, SpatialShape, ArrayView<int>, GridStrideRange> _decodeSites;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<int>, ArrayView<int>, SpatialShape, Triple, int, ArrayView<long>, ArrayView<int>, ArrayView<int>, ArrayView<long>, GridStrideRange> _gather;
    private readonly DeviceKeySort _sortKeys;

    /// <summary>Loads the map kernels once for <paramref name="accelerator"/>.</summary>
    public IlgpuKernelMapBuilder(Accelerator accelerator)
    {
        _accelerator = accelerator ?? throw new ArgumentNullException(nameof(accelerator));
        _insertSites = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<int>, SpatialShape, int, ArrayView<long>, ArrayView<int>, ArrayView<int>, GridStrideRange>(InsertSitesKernel);
        _emitOutputSites = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<int>, ArrayView<int>, SpatialShape, Triple, int, ArrayView<long>, ArrayView<long>, ArrayView<int>, GridStrideRange>(EmitOutputSitesKernel);
        _decodeSites = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<long>, SpatialShape, ArrayView<int>, GridStrideRange>(DecodeSitesKernel);
        _gather = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<int>, ArrayView<int>, SpatialShape, Triple, int, ArrayView<long>, ArrayView<int>, ArrayView<int>, ArrayView<long>, GridStrideRange>(GatherKernel);
        _sortKeys = new DeviceKeySort(accelerator);
    }

    /// <summary>Site sets uploaded so far (a plan uploads its input's sites; strided maps' outputs are on the device already).</summary>
    internal int SiteUploads { get; private set; }

    /// <summary>Site sets hashed so far (once per set of sites a plan builds maps on).</summary>
    internal int SiteHashes { get; private set; }

    /// <inheritdoc />
    public KernelMap Build(SparseTensor input, ConvGeometry geometry)
    {
        using var scratch = new MapBuildScratch();
        return Build(input, geometry, scratch);
    }

    /// <inheritdoc />
    KernelMap IScratchKernelMapBuilder.Build(SparseTensor input, ConvGeometry geometry, MapBuildScratch scratch) => Build(input, geometry, scratch);

    private KernelMap Build(SparseTensor input, ConvGeometry geometry, MapBuildScratch scratch)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(geometry);
        if (geometry.Kind == ConvKind.Inverse)
        {
            throw new ArgumentException("an inverse conv reuses the map of the conv it inverts: call KernelMap.Invert on it");
        }
        var outputShape = geometry.OutputShape(input.SpatialShape);
        outputShape.Validate(input.BatchSize);
        int k = geometry.KernelVolume;
        if (input.Count == 0)
        {
            return new KernelMap(geometry, input.SpatialShape, outputShape, input.BatchSize, 0, [], [], KernelMapMethod.DeviceHashTable, lookups: null);
        }

        var stream = _accelerator.DefaultStream;
        var sites = scratch.Find<DeviceSites>(input);
        if (sites is null)
        {
            SiteUploads++;
            sites = new DeviceSites(_accelerator.Allocate1D(input.Coordinates));
            scratch.Keep(input.Coordinates, input.SpatialShape, input.BatchSize, sites);
        }
        HashSites(input, sites);
        using var displacements = _accelerator.Allocate1D(geometry.OffsetDisplacements());

        int outputCount;
        DeviceSites? outputSitesOnDevice = null;
        if (geometry.Kind == ConvKind.SubManifold)
        {
            outputCount = input.Count;
        }
        else
        {
            outputSitesOnDevice = new DeviceSites(EnumerateOutputSites(input, geometry, outputShape, sites.Coordinates, displacements, out outputCount));
        }
        try
        {
            SiteChecks.EnsureRulebookFits(outputCount, k);
            int[] outputSites = geometry.Kind == ConvKind.SubManifold
                ? input.Coordinates
                : outputCount == 0 ? [] : outputSitesOnDevice!.Coordinates.GetAsArray1D(stream);
            if (outputCount == 0)
            {
                return new KernelMap(geometry, input.SpatialShape, outputShape, input.BatchSize, input.Count, outputSites, [], KernelMapMethod.DeviceHashTable, lookups: null);
            }
            // The rulebook stays on the device, owned by the map: a device-resident run reads it there, and the host copy
            // is downloaded only if a caller asks for KernelMap.OutIn. Only the pair count comes back now.
            var outIn = _accelerator.Allocate1D<int>((long)outputCount * k);
            try
            {
                using var pairs = _accelerator.Allocate1D<long>(1);
                pairs.MemSetToZero(stream);
                var anchor = geometry.Kind == ConvKind.SubManifold ? Triple.All(1) : geometry.Stride;
                var gatherRange = Range(outIn.Length);
                _gather(stream, gatherRange.Width, (outputSitesOnDevice ?? sites).Coordinates.View, displacements.View, input.SpatialShape, anchor, k,
                    sites.Keys!.View, sites.Rows!.View, outIn.View, pairs.View, gatherRange);
                long pairCount = pairs.GetAsArray1D(stream)[0];
                if (outputSitesOnDevice is not null)
                {
                    // The next maps of this plan are built on these sites: they are on the device already.
                    scratch.Keep(outputSites, outputShape, input.BatchSize, outputSitesOnDevice);
                    outputSitesOnDevice = null;
                }
                return new KernelMap(geometry, input.SpatialShape, outputShape, input.BatchSize, input.Count, outputSites, outIn, pairCount, KernelMapMethod.DeviceHashTable);
            }
            catch
            {
                outIn.Dispose();
                throw;
            }
        }
        finally
        {
            outputSitesOnDevice?.Dispose();
        }
    }

    /// <summary>
    /// Hashes <paramref name="input"/>'s sites (already on the device in <paramref name="sites"/>) into a table of site key →
    /// row, once per set of sites: every later map on them probes the same table.
    /// </summary>
    private void HashSites(SparseTensor input, DeviceSites sites)
    {
        if (sites.Keys is not null)
        {
            return;
        }
        SiteHashes++;
        var stream = _accelerator.DefaultStream;
        int mask = TableMask(input.Count);
        var keys = _accelerator.Allocate1D<long>(mask + 1L);
        var rows = _accelerator.Allocate1D<int>(mask + 1L);
        // errors[0]: first row outside batch or shape; errors[1]: a row whose site is already in the table.
        using var errors = _accelerator.Allocate1D(new[] { int.MaxValue, int.MaxValue });
        FillEmpty(keys, stream);
        var insertRange = Range(input.Count);
        _insertSites(stream, insertRange.Width, sites.Coordinates.View, input.SpatialShape, input.BatchSize, keys.View, rows.View, errors.View, insertRange);
        var errorRows = errors.GetAsArray1D(stream);
        if (errorRows[0] != int.MaxValue || errorRows[1] != int.MaxValue)
        {
            keys.Dispose();
            rows.Dispose();
            // The device only flags that something is wrong; the host names the first bad row exactly as the CPU builder does.
            input.Validate();
            throw new InvalidDataException("the device hash table rejected the input sites but no bad row was found on the host");
        }
        sites.Keys = keys;
        sites.Rows = rows;
    }

    /// <inheritdoc />
    void IScratchKernelMapBuilder.KnowSites(MapBuildScratch scratch, SparseTensor sites, MemoryBuffer1D<int, Stride1D.Dense> coordinates)
    {
        ArgumentNullException.ThrowIfNull(scratch);
        ArgumentNullException.ThrowIfNull(sites);
        ArgumentNullException.ThrowIfNull(coordinates);
        if (coordinates.Accelerator != _accelerator)
        {
            return; // another accelerator's: this builder uploads the host copy
        }
        if (coordinates.Length != sites.Coordinates.Length)
        {
            throw new ArgumentException($"the device coordinates hold {coordinates.Length} values for {sites.Count} sites' [N, 4] coordinates");
        }
        scratch.Keep(sites.Coordinates, sites.SpatialShape, sites.BatchSize, new DeviceSites(coordinates, ownsCoordinates: false));
    }

    /// <summary>A set of sites on the device: its coordinates [N, 4] and, once hashed, its table of site key → row.</summary>
    private sealed class DeviceSites(MemoryBuffer1D<int, Stride1D.Dense> coordinates, bool ownsCoordinates = true) : IDisposable
    {
        public MemoryBuffer1D<int, Stride1D.Dense> Coordinates { get; } = coordinates;

        public MemoryBuffer1D<long, Stride1D.Dense>? Keys { get; set; }

        public MemoryBuffer1D<int, Stride1D.Dense>? Rows { get; set; }

        public void Dispose()
        {
            if (ownsCoordinates)
            {
                Coordinates.Dispose();
            }
            Keys?.Dispose();
            Rows?.Dispose();
        }
    }

    private MemoryBuffer1D<int, Stride1D.Dense> EnumerateOutputSites(
        SparseTensor input, ConvGeometry geometry, SpatialShape outputShape,
        MemoryBuffer1D<int, Stride1D.Dense> coordinates, MemoryBuffer1D<int, Stride1D.Dense> displacements, out int outputCount)
    {
        var stream = _accelerator.DefaultStream;
        int k = geometry.KernelVolume;
        // Per axis at most ceil(kernel / stride) offsets land on a strided output, which bounds the distinct outputs.
        long bound = (long)input.Count;
        for (int axis = 0; axis < 3; axis++)
        {
            bound *= (geometry.Kernel[axis] + geometry.Stride[axis] - 1) / geometry.Stride[axis];
        }
        int outputMask = TableMask(checked((int)Math.Min(bound, int.MaxValue / 4)));
        using var outputKeys = _accelerator.Allocate1D<long>(outputMask + 1L);
        using var uniqueKeys = _accelerator.Allocate1D<long>(Math.Max(1, bound));
        using var counter = _accelerator.Allocate1D<int>(1);
        FillEmpty(outputKeys, stream);
        counter.MemSetToZero(stream);
        var emitRange = Range((long)input.Count * k);
        _emitOutputSites(stream, emitRange.Width, coordinates.View, displacements.View, outputShape, geometry.Stride, k,
            outputKeys.View, uniqueKeys.View, counter.View, emitRange);
        outputCount = counter.GetAsArray1D(stream)[0];

        var sites = _accelerator.Allocate1D<int>(Math.Max(1, outputCount * 4L));
        if (outputCount > 0)
        {
            var keys = uniqueKeys.View.SubView(0, outputCount);
            _sortKeys.Sort(stream, keys);
            var decodeRange = Range(outputCount);
            _decodeSites(stream, decodeRange.Width, keys, outputShape, sites.View, decodeRange);
        }
        return sites;
    }

    private void FillEmpty(MemoryBuffer1D<long, Stride1D.Dense> table, AcceleratorStream stream) =>
        table.View.BaseView.MemSet(stream, 0xFF); // every byte 0xFF is the key -1: an empty slot

    /// <summary>Power-of-two capacity at least twice the entries (load factor ≤ 0.5 keeps probe chains short).</summary>
    private static int TableMask(int entries)
    {
        int capacity = 16;
        while (capacity < 2L * entries)
        {
            capacity *= 2;
        }
        return capacity - 1;
    }

    private static int Slot(long key, int mask) => (int)(((ulong)key * 0x9E3779B97F4A7C15UL) >> 33) & mask;

    private GridStrideRange Range(long elements) => new(checked((int)elements), GridStride.Width(_accelerator, elements));

    private static void InsertSitesKernel(
        Index1D thread, ArrayView<int> coordinates, SpatialShape shape, int batchSize,
        ArrayView<long> keys, ArrayView<int> rows, ArrayView<int> errors, GridStrideRange range)
    {
        for (int row = thread; row < range.Elements; row += range.Width)
        {
            InsertSite(row, coordinates, shape, batchSize, keys, rows, errors);
        }
    }

    private static void InsertSite(
        int row, ArrayView<int> coordinates, SpatialShape shape, int batchSize,
        ArrayView<long> keys, ArrayView<int> rows, ArrayView<int> errors)
    {
        int b = coordinates[row * 4], z = coordinates[row * 4 + 1], y = coordinates[row * 4 + 2], x = coordinates[row * 4 + 3];
        if ((uint)b >= (uint)batchSize || (uint)z >= (uint)shape.Depth || (uint)y >= (uint)shape.Height || (uint)x >= (uint)shape.Width)
        {
            Atomic.Min(ref errors[0], row);
            return;
        }
        long key = shape.Key(b, z, y, x);
        int mask = (int)keys.Length - 1;
        int slot = Slot(key, mask);
        while (true)
        {
            long previous = Atomic.CompareExchange(ref keys[slot], EmptyKey, key);
            if (previous == EmptyKey)
            {
                rows[slot] = row;
                return;
            }
            if (previous == key)
            {
                Atomic.Min(ref errors[1], row);
                return;
            }
            slot = (slot + 1) & mask;
        }
    }

    private static void EmitOutputSitesKernel(
        Index1D thread, ArrayView<int> coordinates, ArrayView<int> displacements, SpatialShape outputShape, Triple stride, int kernelVolume,
        ArrayView<long> keys, ArrayView<long> uniqueKeys, ArrayView<int> counter, GridStrideRange range)
    {
        for (int index = thread; index < range.Elements; index += range.Width)
        {
            EmitOutputSite(index, coordinates, displacements, outputShape, stride, kernelVolume, keys, uniqueKeys, counter);
        }
    }

    private static void EmitOutputSite(
        int index, ArrayView<int> coordinates, ArrayView<int> displacements, SpatialShape outputShape, Triple stride, int kernelVolume,
        ArrayView<long> keys, ArrayView<long> uniqueKeys, ArrayView<int> counter)
    {
        int row = index / kernelVolume, offset = index % kernelVolume;
        int oz = coordinates[row * 4 + 1] - displacements[offset * 3];
        int oy = coordinates[row * 4 + 2] - displacements[offset * 3 + 1];
        int ox = coordinates[row * 4 + 3] - displacements[offset * 3 + 2];
        if (oz < 0 || oy < 0 || ox < 0 || oz % stride.Z != 0 || oy % stride.Y != 0 || ox % stride.X != 0)
        {
            return;
        }
        oz /= stride.Z;
        oy /= stride.Y;
        ox /= stride.X;
        if (oz >= outputShape.Depth || oy >= outputShape.Height || ox >= outputShape.Width)
        {
            return;
        }
        long key = outputShape.Key(coordinates[row * 4], oz, oy, ox);
        int mask = (int)keys.Length - 1;
        int slot = Slot(key, mask);
        while (true)
        {
            long previous = Atomic.CompareExchange(ref keys[slot], EmptyKey, key);
            if (previous == EmptyKey)
            {
                uniqueKeys[Atomic.Add(ref counter[0], 1)] = key;
                return;
            }
            if (previous == key)
            {
                return;
            }
            slot = (slot + 1) & mask;
        }
    }

    private static void DecodeSitesKernel(
        Index1D thread, ArrayView<long> keys, SpatialShape shape, ArrayView<int> coordinates, GridStrideRange range)
    {
        for (int index = thread; index < range.Elements; index += range.Width)
        {
            DecodeSite(index, keys, shape, coordinates);
        }
    }

    private static void DecodeSite(int index, ArrayView<long> keys, SpatialShape shape, ArrayView<int> coordinates)
    {
        long key = keys[index];
        coordinates[index * 4 + 3] = (int)(key % shape.Width);
        key /= shape.Width;
        coordinates[index * 4 + 2] = (int)(key % shape.Height);
        key /= shape.Height;
        coordinates[index * 4 + 1] = (int)(key % shape.Depth);
        coordinates[index * 4] = (int)(key / shape.Depth);
    }

    private static void GatherKernel(
        Index1D thread, ArrayView<int> outputCoordinates, ArrayView<int> displacements, SpatialShape inputShape, Triple anchorStride,
        int kernelVolume, ArrayView<long> keys, ArrayView<int> rows, ArrayView<int> outIn, ArrayView<long> pairs, GridStrideRange range)
    {
        // Each thread counts its pairs and adds them once (KernelMap.PairCount without downloading the rulebook).
        long found = 0;
        for (int index = thread; index < range.Elements; index += range.Width)
        {
            int neighbour = FindNeighbour(index, outputCoordinates, displacements, inputShape, anchorStride, kernelVolume, keys, rows);
            outIn[index] = neighbour;
            found += neighbour >= 0 ? 1 : 0;
        }
        if (found > 0)
        {
            Atomic.Add(ref pairs[0], found);
        }
    }

    private static int FindNeighbour(
        int index, ArrayView<int> outputCoordinates, ArrayView<int> displacements, SpatialShape inputShape, Triple anchorStride,
        int kernelVolume, ArrayView<long> keys, ArrayView<int> rows)
    {
        int row = index / kernelVolume, offset = index % kernelVolume;
        int z = outputCoordinates[row * 4 + 1] * anchorStride.Z + displacements[offset * 3];
        int y = outputCoordinates[row * 4 + 2] * anchorStride.Y + displacements[offset * 3 + 1];
        int x = outputCoordinates[row * 4 + 3] * anchorStride.X + displacements[offset * 3 + 2];
        int found = -1;
        if ((uint)z < (uint)inputShape.Depth && (uint)y < (uint)inputShape.Height && (uint)x < (uint)inputShape.Width)
        {
            long key = inputShape.Key(outputCoordinates[row * 4], z, y, x);
            int mask = (int)keys.Length - 1;
            int slot = Slot(key, mask);
            while (true)
            {
                long stored = keys[slot];
                if (stored == key)
                {
                    found = rows[slot];
                    break;
                }
                if (stored == EmptyKey)
                {
                    break;
                }
                slot = (slot + 1) & mask;
            }
        }
        return found;
    }
}
