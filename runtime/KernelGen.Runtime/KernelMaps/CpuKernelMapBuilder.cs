using KernelGen.Tensors;

namespace KernelGen.KernelMaps;

/// <summary>
/// Builds kernel maps on the CPU: a hash map from site key to input row, output sites enumerated and sorted for
/// regular convs, then a parallel gather of every (output, offset) neighbour.
/// </summary>
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
        var index = BuildSiteIndex(input);
        int[] outputCoordinates = geometry.Kind == ConvKind.SubManifold
            ? input.Coordinates
            : EnumerateOutputSites(input, geometry, outputShape);
        var outIn = Gather(input, geometry, outputCoordinates, index);
        return new KernelMap(geometry, input.SpatialShape, outputShape, input.BatchSize, input.Count, outputCoordinates, outIn);
    }

    /// <summary>Site key → row, rejecting out-of-range and duplicate coordinates.</summary>
    private static Dictionary<long, int> BuildSiteIndex(SparseTensor input)
    {
        var shape = input.SpatialShape;
        var coordinates = input.Coordinates;
        var index = new Dictionary<long, int>(input.Count);
        for (int row = 0; row < input.Count; row++)
        {
            int b = coordinates[row * 4], z = coordinates[row * 4 + 1], y = coordinates[row * 4 + 2], x = coordinates[row * 4 + 3];
            SiteChecks.EnsureInside(row, b, z, y, x, shape, input.BatchSize);
            long key = shape.Key(b, z, y, x);
            if (!index.TryAdd(key, row))
            {
                throw SiteChecks.Duplicate(row, index[key], b, z, y, x);
            }
        }
        return index;
    }

    /// <summary>Every output site some input reaches, sorted by (batch, z, y, x).</summary>
    private static int[] EnumerateOutputSites(SparseTensor input, ConvGeometry geometry, SpatialShape outputShape)
    {
        var displacement = geometry.OffsetDisplacements();
        var stride = geometry.Stride;
        var coordinates = input.Coordinates;
        int k = geometry.KernelVolume;
        var chunks = new List<long[]>();
        var gate = new object();
        Parallel.For(
            0, ChunkCount(input.Count), () => new List<long>(),
            (chunk, _, candidates) =>
            {
                var (start, end) = ChunkRange(chunk, input.Count);
                for (int row = start; row < end; row++)
                {
                    int b = coordinates[row * 4], z = coordinates[row * 4 + 1], y = coordinates[row * 4 + 2], x = coordinates[row * 4 + 3];
                    for (int offset = 0; offset < k; offset++)
                    {
                        // input = output * stride + displacement  ⇒  output = (input - displacement) / stride, exactly.
                        int oz = z - displacement[offset * 3], oy = y - displacement[offset * 3 + 1], ox = x - displacement[offset * 3 + 2];
                        if (oz < 0 || oy < 0 || ox < 0 || oz % stride.Z != 0 || oy % stride.Y != 0 || ox % stride.X != 0)
                        {
                            continue;
                        }
                        oz /= stride.Z;
                        oy /= stride.Y;
                        ox /= stride.X;
                        if (oz < outputShape.Depth && oy < outputShape.Height && ox < outputShape.Width)
                        {
                            candidates.Add(outputShape.Key(b, oz, oy, ox));
                        }
                    }
                }
                return candidates;
            },
            candidates =>
            {
                lock (gate)
                {
                    chunks.Add(candidates.ToArray());
                }
            });

        var keys = new long[chunks.Sum(c => c.Length)];
        int filled = 0;
        foreach (var chunk in chunks)
        {
            chunk.CopyTo(keys, filled);
            filled += chunk.Length;
        }
        Array.Sort(keys);
        int unique = 0;
        for (int i = 0; i < keys.Length; i++)
        {
            if (unique == 0 || keys[i] != keys[unique - 1])
            {
                keys[unique++] = keys[i];
            }
        }
        var outputCoordinates = new int[unique * 4];
        for (int i = 0; i < unique; i++)
        {
            outputShape.DecodeKey(keys[i], outputCoordinates.AsSpan(i * 4, 4));
        }
        return outputCoordinates;
    }

    private static int[] Gather(SparseTensor input, ConvGeometry geometry, int[] outputCoordinates, Dictionary<long, int> index)
    {
        var displacement = geometry.OffsetDisplacements();
        var stride = geometry.Stride;
        var inputShape = input.SpatialShape;
        int k = geometry.KernelVolume;
        int outputs = outputCoordinates.Length / 4;
        var outIn = new int[outputs * k];
        Parallel.For(0, ChunkCount(outputs), chunk =>
        {
            var (start, end) = ChunkRange(chunk, outputs);
            for (int row = start; row < end; row++)
            {
                int b = outputCoordinates[row * 4];
                int az = outputCoordinates[row * 4 + 1] * stride.Z;
                int ay = outputCoordinates[row * 4 + 2] * stride.Y;
                int ax = outputCoordinates[row * 4 + 3] * stride.X;
                for (int offset = 0; offset < k; offset++)
                {
                    int z = az + displacement[offset * 3], y = ay + displacement[offset * 3 + 1], x = ax + displacement[offset * 3 + 2];
                    int found = -1;
                    if ((uint)z < (uint)inputShape.Depth && (uint)y < (uint)inputShape.Height && (uint)x < (uint)inputShape.Width
                        && index.TryGetValue(inputShape.Key(b, z, y, x), out int inputRow))
                    {
                        found = inputRow;
                    }
                    outIn[row * k + offset] = found;
                }
            }
        });
        return outIn;
    }

    // Fixed-size chunks keep the per-chunk overhead small and make the work split independent of the core count.
    private const int ChunkSize = 4096;

    private static int ChunkCount(int rows) => (rows + ChunkSize - 1) / ChunkSize;

    private static (int Start, int End) ChunkRange(int chunk, int rows) =>
        (chunk * ChunkSize, Math.Min(rows, (chunk + 1) * ChunkSize));
}
