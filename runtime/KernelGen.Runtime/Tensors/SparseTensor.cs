namespace KernelGen.Tensors;

/// <summary>
/// A batch of sparse voxel grids in spconv's layout: <see cref="Features"/> float32 [N, C] row-major and
/// <see cref="Coordinates"/> int32 [N, 4] as (batch, z, y, x). Rows are active sites; N = 0 is valid.
/// </summary>
/// <remarks>
/// The constructor checks what is cheap and always fatal (array lengths, batch size, spatial shape);
/// <see cref="Validate"/> checks the per-row invariants (bounds, duplicates, finiteness) and names the first bad row.
/// The arrays are shared, not copied: the tensor is a view over the caller's buffers.
/// </remarks>
public sealed class SparseTensor
{
    /// <summary>Creates a tensor over existing arrays.</summary>
    /// <param name="features">float32 [N, C] row-major.</param>
    /// <param name="coordinates">int32 [N, 4] as (batch, z, y, x).</param>
    /// <param name="channels">C, the number of feature channels.</param>
    /// <param name="spatialShape">(D, H, W) of the grid.</param>
    /// <param name="batchSize">Number of batch items; coordinates' batch index must be below it.</param>
    public SparseTensor(float[] features, int[] coordinates, int channels, SpatialShape spatialShape, int batchSize = 1)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(coordinates);
        if (channels <= 0)
        {
            throw new ArgumentException($"channel count must be positive, got {channels}", nameof(channels));
        }
        if (batchSize <= 0)
        {
            throw new ArgumentException($"batch size must be positive, got {batchSize}", nameof(batchSize));
        }
        spatialShape.Validate(batchSize);
        if (coordinates.Length % 4 != 0)
        {
            throw new ArgumentException(
                $"coordinates must be [N, 4] (batch, z, y, x); got {coordinates.Length} values, not a multiple of 4",
                nameof(coordinates));
        }
        if (features.Length % channels != 0)
        {
            throw new ArgumentException(
                $"features must be [N, {channels}]; got {features.Length} values, not a multiple of {channels}",
                nameof(features));
        }
        int coordinateRows = coordinates.Length / 4;
        int featureRows = features.Length / channels;
        if (coordinateRows != featureRows)
        {
            throw new ArgumentException(
                $"features have {featureRows} rows but coordinates have {coordinateRows}; they must match");
        }

        Features = features;
        Coordinates = coordinates;
        Channels = channels;
        SpatialShape = spatialShape;
        BatchSize = batchSize;
    }

    /// <summary>float32 [N, C] row-major.</summary>
    public float[] Features { get; }

    /// <summary>int32 [N, 4] as (batch, z, y, x).</summary>
    public int[] Coordinates { get; }

    /// <summary>C.</summary>
    public int Channels { get; }

    /// <summary>(D, H, W).</summary>
    public SpatialShape SpatialShape { get; }

    /// <summary>Number of batch items.</summary>
    public int BatchSize { get; }

    /// <summary>N, the number of active sites.</summary>
    public int Count => Coordinates.Length / 4;

    /// <summary>An empty tensor (N = 0) of the given channels and grid.</summary>
    public static SparseTensor Empty(int channels, SpatialShape spatialShape, int batchSize = 1) =>
        new([], [], channels, spatialShape, batchSize);

    /// <summary>The same sites with other features (for example a layer's output on SubM sites).</summary>
    public SparseTensor WithFeatures(float[] features, int channels) =>
        new(features, Coordinates, channels, SpatialShape, BatchSize);

    /// <summary>
    /// Checks every row: coordinates inside the batch and spatial shape, no duplicate sites, and (when
    /// <paramref name="checkFinite"/>) no NaN or infinite feature. Throws <see cref="InvalidDataException"/> naming the
    /// first offending row.
    /// </summary>
    public void Validate(bool checkFinite = false)
    {
        var shape = SpatialShape;
        var seen = new Dictionary<long, int>(Count);
        for (int row = 0; row < Count; row++)
        {
            int b = Coordinates[row * 4], z = Coordinates[row * 4 + 1], y = Coordinates[row * 4 + 2], x = Coordinates[row * 4 + 3];
            SiteChecks.EnsureInside(row, b, z, y, x, shape, BatchSize);
            long key = shape.Key(b, z, y, x);
            if (!seen.TryAdd(key, row))
            {
                throw SiteChecks.Duplicate(row, seen[key], b, z, y, x);
            }
        }
        if (checkFinite)
        {
            for (int i = 0; i < Features.Length; i++)
            {
                if (!float.IsFinite(Features[i]))
                {
                    throw new InvalidDataException(
                        $"row {i / Channels}: feature channel {i % Channels} is {Features[i]} (not finite)");
                }
            }
        }
    }
}
