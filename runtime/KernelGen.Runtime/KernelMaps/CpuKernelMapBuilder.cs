using KernelGen;
using KernelGen.Tensors;

namespace KernelGen.KernelMaps;

/// <summary>
/// Builds kernel maps on the CPU with a flat hash table from site key to input row, parallel over chunks of rows.
/// </summary>
/// <remarks>
/// Two shortcuts keep all 21 maps of CenterPoint's backbone within about 100 ms on two cores (a plain gather of every
/// (output, offset) neighbour takes about 125 ms there):
/// <list type="bullet">
/// <item>Submanifold maps are symmetric: if output i reads input j through offset k, output j reads input i through
/// the mirrored offset K-1-k (the displacement negated). Only the offsets before the centre are looked up, the centre
/// is the site itself, and each hit fills both entries: 13 lookups per site instead of 27.</item>
/// <item>Regular sparse convs scatter from the inputs: each input reaches only about (k/s)³ outputs, so walking
/// (input, offset) pairs costs a few lookups per input instead of K per output.</item>
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
        var index = BuildSiteIndex(input);
        if (geometry.Kind == ConvKind.SubManifold)
        {
            var outIn = SubmanifoldMap(input, geometry, index);
            return new KernelMap(geometry, input.SpatialShape, outputShape, input.BatchSize, input.Count, input.Coordinates, outIn);
        }
        var (outputCoordinates, map) = StridedMap(input, geometry, outputShape);
        return new KernelMap(geometry, input.SpatialShape, outputShape, input.BatchSize, input.Count, outputCoordinates, map);
    }

    /// <summary>Site key → row, rejecting out-of-range and duplicate coordinates.</summary>
    private static SiteHashTable BuildSiteIndex(SparseTensor input)
    {
        var shape = input.SpatialShape;
        var coordinates = input.Coordinates;
        var index = new SiteHashTable(input.Count);
        for (int row = 0; row < input.Count; row++)
        {
            int b = coordinates[row * 4], z = coordinates[row * 4 + 1], y = coordinates[row * 4 + 2], x = coordinates[row * 4 + 3];
            SiteChecks.EnsureInside(row, b, z, y, x, shape, input.BatchSize);
            if (!index.TryAdd(shape.Key(b, z, y, x), row, out int firstRow))
            {
                throw SiteChecks.Duplicate(row, firstRow, b, z, y, x);
            }
        }
        return index;
    }

    private static int[] SubmanifoldMap(SparseTensor input, ConvGeometry geometry, SiteHashTable index)
    {
        var displacement = geometry.OffsetDisplacements();
        var shape = input.SpatialShape;
        var coordinates = input.Coordinates;
        int k = geometry.KernelVolume, centre = k / 2;
        SiteChecks.EnsureRulebookFits(input.Count, k);
        var outIn = new int[input.Count * k];
        Array.Fill(outIn, -1);
        Parallel.For(0, ChunkCount(input.Count), chunk =>
        {
            var (start, end) = ChunkRange(chunk, input.Count);
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
                    int neighbour = index.Find(shape.Key(b, z, y, x));
                    if (neighbour >= 0)
                    {
                        // Each (neighbour, mirrored offset) entry has exactly one writer: this row.
                        outIn[row * k + offset] = neighbour;
                        outIn[neighbour * k + (k - 1 - offset)] = row;
                    }
                }
            }
        });
        return outIn;
    }

    private static (int[] OutputCoordinates, int[] OutIn) StridedMap(SparseTensor input, ConvGeometry geometry, SpatialShape outputShape)
    {
        var coordinates = input.Coordinates;
        int k = geometry.KernelVolume;
        var kernel = geometry.Kernel;
        // Per axis and input residue modulo the stride: the kernel indices whose displacement lands on a strided output.
        var reaching = new[] { ReachingIndices(geometry, 0), ReachingIndices(geometry, 1), ReachingIndices(geometry, 2) };

        // 1. Every (input, offset) → output pair, found from the residues without testing all K offsets.
        var chunkKeys = new long[ChunkCount(input.Count)][];
        var chunkPairs = new int[chunkKeys.Length][];
        Parallel.For(0, chunkKeys.Length, chunk =>
        {
            var (start, end) = ChunkRange(chunk, input.Count);
            var keys = new List<long>((end - start) * 4);
            var pairs = new List<int>((end - start) * 4);
            Span<int> kzs = stackalloc int[kernel.Z], ozs = stackalloc int[kernel.Z];
            Span<int> kys = stackalloc int[kernel.Y], oys = stackalloc int[kernel.Y];
            Span<int> kxs = stackalloc int[kernel.X], oxs = stackalloc int[kernel.X];
            for (int row = start; row < end; row++)
            {
                int b = coordinates[row * 4];
                int nz = reaching[0].Outputs(coordinates[row * 4 + 1], outputShape.Depth, kzs, ozs);
                int ny = reaching[1].Outputs(coordinates[row * 4 + 2], outputShape.Height, kys, oys);
                int nx = reaching[2].Outputs(coordinates[row * 4 + 3], outputShape.Width, kxs, oxs);
                for (int iz = 0; iz < nz; iz++)
                {
                    for (int iy = 0; iy < ny; iy++)
                    {
                        for (int ix = 0; ix < nx; ix++)
                        {
                            keys.Add(outputShape.Key(b, ozs[iz], oys[iy], oxs[ix]));
                            pairs.Add(row * k + (kzs[iz] * kernel.Y + kys[iy]) * kernel.X + kxs[ix]);
                        }
                    }
                }
            }
            chunkKeys[chunk] = keys.ToArray();
            chunkPairs[chunk] = pairs.ToArray();
        });

        // 2. Distinct output sites, sorted by (batch, z, y, x) = by key.
        var outputs = new SiteHashTable(Math.Max(16, chunkKeys.Sum(c => c.Length) / 2));
        var unique = new List<long>();
        foreach (var keys in chunkKeys)
        {
            foreach (long key in keys)
            {
                if (outputs.TryAdd(key, 0, out _))
                {
                    unique.Add(key);
                }
            }
        }
        var sorted = unique.ToArray();
        Array.Sort(sorted);
        var outputCoordinates = new int[sorted.Length * 4];
        for (int row = 0; row < sorted.Length; row++)
        {
            outputs.SetRow(sorted[row], row);
            outputShape.DecodeKey(sorted[row], outputCoordinates.AsSpan(row * 4, 4));
        }

        // 3. Scatter: each (output, offset) has at most one input, so the writes never collide.
        SiteChecks.EnsureRulebookFits(sorted.Length, k);
        var outIn = new int[sorted.Length * k];
        Array.Fill(outIn, -1);
        Parallel.For(0, chunkKeys.Length, chunk =>
        {
            var keys = chunkKeys[chunk];
            var pairs = chunkPairs[chunk];
            for (int i = 0; i < keys.Length; i++)
            {
                outIn[outputs.Find(keys[i]) * k + pairs[i] % k] = pairs[i] / k;
            }
        });
        return (outputCoordinates, outIn);
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
        /// <summary>Writes the (kernel index, output coordinate) pairs of input <paramref name="coordinate"/>; returns their count.</summary>
        public int Outputs(int coordinate, int extent, Span<int> indices, Span<int> outputs)
        {
            int count = 0;
            foreach (var (index, displacement) in byResidue[coordinate % stride])
            {
                int numerator = coordinate - displacement;
                if (numerator >= 0 && numerator / stride < extent)
                {
                    indices[count] = index;
                    outputs[count++] = numerator / stride;
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
