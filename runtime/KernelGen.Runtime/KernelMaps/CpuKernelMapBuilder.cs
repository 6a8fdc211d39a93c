using System.Runtime.CompilerServices;
using KernelGen;
using KernelGen.Tensors;

namespace KernelGen.KernelMaps;

/// <summary>
/// Builds kernel maps on the CPU. Sites come sorted by (batch, z, y, x) from the voxelizer and from every strided map,
/// and the builder uses that order: no hash table on that path.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Submanifold maps by a merge of sorted keys: a neighbour at displacement (dz, dy, dx) has the site's key plus a
/// constant, so per kernel line (the offsets of one dz, dy: consecutive keys) a pointer walks the sorted keys once
/// alongside the sites — a few sequential compares a site instead of random hash probes. The map is symmetric (output
/// i reads input j through offset k exactly when j reads i through K−1−k), so only the offsets before the centre are
/// walked and each hit fills both entries.</item>
/// <item>Regular sparse convs scatter from the inputs: each input reaches only about (k/s)³ outputs; the (output key,
/// input, offset) triples are radix-sorted by output key, so the distinct outputs come out in (batch, z, y, x) order
/// and their rows in one pass.</item>
/// <item>Sites that are not sorted (a caller's own tensor) take the hash path: a flat open-addressing table from site key
/// to row, which also finds duplicates.</item>
/// </list>
/// </remarks>
public sealed class CpuKernelMapBuilder : IKernelMapBuilder
{
    /// <inheritdoc />
    public KernelMap Build(SparseTensor input, ConvGeometry geometry)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(geometry);
        if (geometry.Kind == ConvKind.Inverse)
        {
            throw new ArgumentException("an inverse conv reuses the map of the conv it inverts: call KernelMap.Invert on it");
        }
        var outputShape = geometry.OutputShape(input.SpatialShape);
        outputShape.Validate(input.BatchSize);
        using var keys = SiteKeys(input);
        bool sorted = KeySort.StrictlyIncreasing(keys.Span);
        var index = sorted ? null : BuildSiteIndex(input, keys.Array); // refuses duplicates, naming the rows
        if (geometry.Kind == ConvKind.SubManifold)
        {
            long lookups = 0;
            var outIn = index is null
                ? SubmanifoldMapSorted(input, geometry, keys.Array, ref lookups)
                : SubmanifoldMap(input, geometry, index, ref lookups);
            return new KernelMap(geometry, input.SpatialShape, outputShape, input.BatchSize, input.Count, input.Coordinates, outIn,
                sorted ? KernelMapMethod.SortedMerge : KernelMapMethod.HashTable, lookups);
        }
        var (outputCoordinates, map, pairs) = StridedMap(input, geometry, outputShape);
        return new KernelMap(geometry, input.SpatialShape, outputShape, input.BatchSize, input.Count, outputCoordinates, map,
            KernelMapMethod.RadixSort, pairs);
    }

    /// <summary>Every site's key, each site checked inside the shape and batch.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static ScratchArray<long> SiteKeys(SparseTensor input)
    {
        var shape = input.SpatialShape;
        var coordinates = input.Coordinates;
        var scratch = ScratchArray<long>.Rent(input.Count);
        var keys = scratch.Array;
        for (int row = 0; row < input.Count; row++)
        {
            int b = coordinates[row * 4], z = coordinates[row * 4 + 1], y = coordinates[row * 4 + 2], x = coordinates[row * 4 + 3];
            SiteChecks.EnsureInside(row, b, z, y, x, shape, input.BatchSize);
            keys[row] = shape.Key(b, z, y, x);
        }
        return scratch;
    }

    /// <summary>Site key → row, rejecting duplicate coordinates.</summary>
    private static SiteHashTable BuildSiteIndex(SparseTensor input, long[] keys)
    {
        var coordinates = input.Coordinates;
        var index = new SiteHashTable(input.Count);
        for (int row = 0; row < input.Count; row++)
        {
            if (!index.TryAdd(keys[row], row, out int firstRow))
            {
                throw SiteChecks.Duplicate(row, firstRow, coordinates[row * 4], coordinates[row * 4 + 1], coordinates[row * 4 + 2], coordinates[row * 4 + 3]);
            }
        }
        return index;
    }

    /// <summary>The submanifold map of sites whose keys increase: a merge per kernel line (see the class remarks).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int[] SubmanifoldMapSorted(SparseTensor input, ConvGeometry geometry, long[] keys, ref long lookups)
    {
        var displacement = geometry.OffsetDisplacements();
        var shape = input.SpatialShape;
        var coordinates = input.Coordinates;
        int k = geometry.KernelVolume, centre = k / 2, n = input.Count, lineLength = geometry.Kernel.X;
        SiteChecks.EnsureRulebookFits(n, k);
        var outIn = FrameArray.Uninitialized<int>(n * k);
        Array.Fill(outIn, -1);
        // The key step of each offset before the centre (negative: the neighbour sorts earlier). Offsets of one kernel
        // line (same dz, dy) have consecutive, increasing steps, so one pointer per line serves them all: 5 pointers for
        // a 3×3×3 kernel instead of 13.
        var delta = new long[centre];
        for (int offset = 0; offset < centre; offset++)
        {
            delta[offset] = ((long)displacement[offset * 3] * shape.Height + displacement[offset * 3 + 1]) * shape.Width + displacement[offset * 3 + 2];
        }
        int lines = (centre + lineLength - 1) / lineLength;
        long compares = 0;
        Parallel.For(0, ChunkCount(n), chunk =>
        {
            var (start, end) = ChunkRange(chunk, n);
            long steps = 0;
            // Per line, a pointer to the first key ≥ the line's first target, started by a binary search for the chunk.
            Span<int> pointer = stackalloc int[lines];
            for (int line = 0; line < lines; line++)
            {
                int found = Array.BinarySearch(keys, 0, n, keys[start] + delta[line * lineLength]);
                pointer[line] = found >= 0 ? found : ~found;
            }
            for (int row = start; row < end; row++)
            {
                long key = keys[row];
                int oz = coordinates[row * 4 + 1], oy = coordinates[row * 4 + 2], ox = coordinates[row * 4 + 3];
                outIn[row * k + centre] = row;
                for (int line = 0; line < lines; line++)
                {
                    int first = line * lineLength, last = Math.Min(first + lineLength, centre);
                    int p = pointer[line], from = p;
                    long lineStart = key + delta[first];
                    while (p < n && keys[p] < lineStart)
                    {
                        p++;
                    }
                    pointer[line] = p; // the next row's targets are larger: the pointer only moves forward
                    for (int offset = first; offset < last && p < n; offset++)
                    {
                        long target = key + delta[offset];
                        while (p < n && keys[p] < target)
                        {
                            p++;
                        }
                        if (p == n || keys[p] != target)
                        {
                            continue;
                        }
                        // The same key can be a wrapped coordinate (x − 1 of x = 0 is the row before): only real neighbours count.
                        int z = oz + displacement[offset * 3], y = oy + displacement[offset * 3 + 1], x = ox + displacement[offset * 3 + 2];
                        if ((uint)z >= (uint)shape.Depth || (uint)y >= (uint)shape.Height || (uint)x >= (uint)shape.Width)
                        {
                            continue;
                        }
                        // Each (neighbour, mirrored offset) entry has exactly one writer: this row.
                        outIn[row * k + offset] = p;
                        outIn[p * k + (k - 1 - offset)] = row;
                    }
                    steps += p - from + 1;
                }
            }
            Interlocked.Add(ref compares, steps);
        });
        lookups = compares;
        return outIn;
    }

    /// <summary>The submanifold map of unsorted sites, by hash lookups.</summary>
    private static int[] SubmanifoldMap(SparseTensor input, ConvGeometry geometry, SiteHashTable index, ref long lookups)
    {
        var displacement = geometry.OffsetDisplacements();
        var shape = input.SpatialShape;
        var coordinates = input.Coordinates;
        int k = geometry.KernelVolume, centre = k / 2;
        SiteChecks.EnsureRulebookFits(input.Count, k);
        var outIn = new int[input.Count * k];
        Array.Fill(outIn, -1);
        long probed = 0;
        Parallel.For(0, ChunkCount(input.Count), chunk =>
        {
            var (start, end) = ChunkRange(chunk, input.Count);
            long probes = 0;
            for (int row = start; row < end; row++)
            {
                int b = coordinates[row * 4], oz = coordinates[row * 4 + 1], oy = coordinates[row * 4 + 2], ox = coordinates[row * 4 + 3];
                outIn[row * k + centre] = row;
                for (int offset = 0; offset < centre; offset++)
                {
                    int z = oz + displacement[offset * 3], y = oy + displacement[offset * 3 + 1], x = ox + displacement[offset * 3 + 2];
                    if ((uint)z >= (uint)shape.Depth || (uint)y >= (uint)shape.Height || (uint)x >= (uint)shape.Width)
                    {
                        continue;
                    }
                    int neighbour = index.Find(shape.Key(b, z, y, x), ref probes);
                    if (neighbour >= 0)
                    {
                        // Each (neighbour, mirrored offset) entry has exactly one writer: this row.
                        outIn[row * k + offset] = neighbour;
                        outIn[neighbour * k + (k - 1 - offset)] = row;
                    }
                }
            }
            Interlocked.Add(ref probed, probes);
        });
        lookups = probed;
        return outIn;
    }

    private static (int[] OutputCoordinates, int[] OutIn, long Pairs) StridedMap(SparseTensor input, ConvGeometry geometry, SpatialShape outputShape)
    {
        int k = geometry.KernelVolume, n = input.Count;
        // Per axis and input residue modulo the stride: the kernel indices whose displacement lands on a strided output.
        var reaching = new[] { ReachingIndices(geometry, 0), ReachingIndices(geometry, 1), ReachingIndices(geometry, 2) };
        SiteChecks.EnsureRulebookFits(n, k); // pairs are numbered row · K + offset

        // 1. Every (input, offset) → output pair, found from the residues without testing all K offsets: counted per
        // chunk of inputs, then written in parallel, each chunk at its place.
        int chunks = ChunkCount(n);
        var chunkStart = new long[chunks + 1];
        Parallel.For(0, chunks, chunk => chunkStart[chunk + 1] = PairsOf(input, geometry, outputShape, reaching, chunk, null, null, 0));
        for (int chunk = 0; chunk < chunks; chunk++)
        {
            chunkStart[chunk + 1] += chunkStart[chunk];
        }
        long total = chunkStart[chunks];
        if (total > Array.MaxLength)
        {
            throw new InvalidDataException($"{n} sites reach {total} (input, offset) pairs, more than one array holds");
        }
        int count = (int)total;
        using var keyScratch = ScratchArray<long>.Rent(count);
        using var pairScratch = ScratchArray<int>.Rent(count);
        long[] keys = keyScratch.Array;
        int[] pairs = pairScratch.Array;
        Parallel.For(0, chunks, chunk => PairsOf(input, geometry, outputShape, reaching, chunk, keys, pairs, (int)chunkStart[chunk]));

        // 2. Sorted by output key: the distinct outputs in (batch, z, y, x) order, each a run of equal keys.
        KeySort.Sort(keys, pairs, count, (long)input.BatchSize * outputShape.CellCount - 1);

        // 3. Rows, coordinates and the rulebook, in parallel over chunks of the sorted pairs; each chunk first counts the
        // runs that start in it, so it knows its first output row. Each (output, offset) has at most one input.
        int pairChunks = ChunkCount(count);
        var runsBefore = new int[pairChunks + 1];
        Parallel.For(0, pairChunks, chunk =>
        {
            var (start, end) = ChunkRange(chunk, count);
            int runs = 0;
            for (int i = start; i < end; i++)
            {
                runs += i == 0 || keys[i] != keys[i - 1] ? 1 : 0;
            }
            runsBefore[chunk + 1] = runs;
        });
        for (int chunk = 0; chunk < pairChunks; chunk++)
        {
            runsBefore[chunk + 1] += runsBefore[chunk];
        }
        int outputs = runsBefore[pairChunks];
        SiteChecks.EnsureRulebookFits(outputs, k);
        var outputCoordinates = FrameArray.Uninitialized<int>(outputs * 4);
        var outIn = FrameArray.Uninitialized<int>(outputs * k);
        var kernelVolume = new UnsignedDivisor(k);
        Parallel.For(0, pairChunks, chunk => WriteRuns(keys, pairs, count, chunk, runsBefore[chunk], kernelVolume, outputShape, outputCoordinates, outIn));
        return (outputCoordinates, outIn, total);
    }

    /// <summary>
    /// The (output key, row · K + offset) pairs of chunk <paramref name="chunk"/>'s inputs, written from
    /// <paramref name="at"/> (or only counted, without <paramref name="keys"/>); returns how many.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int PairsOf(
        SparseTensor input, ConvGeometry geometry, SpatialShape outputShape, AxisReach[] reaching, int chunk, long[]? keys, int[]? pairs, int at)
    {
        var coordinates = input.Coordinates;
        var kernel = geometry.Kernel;
        int k = geometry.KernelVolume, count = 0;
        Span<int> kzs = stackalloc int[kernel.Z], ozs = stackalloc int[kernel.Z];
        Span<int> kys = stackalloc int[kernel.Y], oys = stackalloc int[kernel.Y];
        Span<int> kxs = stackalloc int[kernel.X], oxs = stackalloc int[kernel.X];
        var (start, end) = ChunkRange(chunk, input.Count);
        for (int row = start; row < end; row++)
        {
            int b = coordinates[row * 4];
            int nz = reaching[0].Outputs(coordinates[row * 4 + 1], outputShape.Depth, kzs, ozs);
            int ny = reaching[1].Outputs(coordinates[row * 4 + 2], outputShape.Height, kys, oys);
            int nx = reaching[2].Outputs(coordinates[row * 4 + 3], outputShape.Width, kxs, oxs);
            if (keys is null)
            {
                count += nz * ny * nx;
                continue;
            }
            for (int iz = 0; iz < nz; iz++)
            {
                for (int iy = 0; iy < ny; iy++)
                {
                    long line = outputShape.Key(b, ozs[iz], oys[iy], 0);
                    int kernelLine = (kzs[iz] * kernel.Y + kys[iy]) * kernel.X;
                    for (int ix = 0; ix < nx; ix++)
                    {
                        keys[at + count] = line + oxs[ix];
                        pairs![at + count++] = row * k + kernelLine + kxs[ix];
                    }
                }
            }
        }
        return count;
    }

    /// <summary>The runs of equal keys that start in chunk <paramref name="chunk"/> (and run on past its end): their rows from <paramref name="firstRow"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WriteRuns(
        long[] keys, int[] pairs, int count, int chunk, int firstRow, UnsignedDivisor kernelVolume, SpatialShape outputShape, int[] outputCoordinates, int[] outIn)
    {
        int k = kernelVolume.Divisor;
        var (start, end) = ChunkRange(chunk, count);
        int i = start;
        while (i > 0 && i < end && keys[i] == keys[i - 1])
        {
            i++; // the tail of a run that started in an earlier chunk: that chunk writes it
        }
        int output = firstRow - 1;
        for (; i < count && (i < end || keys[i] == keys[i - 1]); i++)
        {
            if (i == 0 || keys[i] != keys[i - 1])
            {
                output++;
                outputShape.DecodeKey(keys[i], outputCoordinates.AsSpan(output * 4, 4));
                outIn.AsSpan(output * k, k).Fill(-1);
            }
            var (row, offset) = kernelVolume.DivRem(pairs[i]);
            outIn[output * k + offset] = row;
        }
    }

    private static AxisReach ReachingIndices(ConvGeometry geometry, int axis)
    {
        int stride = geometry.Stride[axis];
        var byResidue = new (int Index, int Displacement)[stride][];
        for (int residue = 0; residue < stride; residue++)
        {
            byResidue[residue] = Enumerable.Range(0, geometry.Kernel[axis])
                .Select(i => (Index: i, Displacement: i * geometry.Dilation[axis] - geometry.Padding[axis]))
                .Where(d => ((residue - d.Displacement) % stride + stride) % stride == 0)
                .ToArray();
        }
        return new AxisReach(stride, byResidue);
    }

    /// <summary>For one axis: which kernel indices take an input coordinate onto the strided output grid.</summary>
    private sealed class AxisReach(int stride, (int Index, int Displacement)[][] byResidue)
    {
        private readonly UnsignedDivisor _stride = new(stride);

        /// <summary>Writes the (kernel index, output coordinate) pairs of input <paramref name="coordinate"/>; returns their count.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Outputs(int coordinate, int extent, Span<int> indices, Span<int> outputs)
        {
            int count = 0;
            var (_, residue) = _stride.DivRem(coordinate);
            foreach (var (index, displacement) in byResidue[residue])
            {
                int numerator = coordinate - displacement;
                if (numerator >= 0)
                {
                    int output = _stride.Divide(numerator);
                    if (output < extent)
                    {
                        indices[count] = index;
                        outputs[count++] = output;
                    }
                }
            }
            return count;
        }
    }

    // Fixed-size chunks keep the per-chunk overhead small and make the work split independent of the core count.
    private const int ChunkSize = 4096;

    private static int ChunkCount(int rows) => (rows + ChunkSize - 1) / ChunkSize;

    private static (int Start, int End) ChunkRange(int chunk, int rows) =>
        (chunk * ChunkSize, Math.Min(rows, (chunk + 1) * ChunkSize));
}
