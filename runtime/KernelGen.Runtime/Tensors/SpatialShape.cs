namespace KernelGen.Tensors;

/// <summary>The extent of a voxel grid along (z, y, x), spconv's <c>spatial_shape</c> order (D, H, W).</summary>
public readonly record struct SpatialShape(int Depth, int Height, int Width)
{
    /// <summary>Number of cells of one batch item.</summary>
    public long CellCount => (long)Depth * Height * Width;

    /// <summary>Extent along axis 0 (z), 1 (y) or 2 (x).</summary>
    public int this[int axis] => axis switch
    {
        0 => Depth,
        1 => Height,
        2 => Width,
        _ => throw new ArgumentOutOfRangeException(nameof(axis), axis, "axis must be 0 (z), 1 (y) or 2 (x)"),
    };

    /// <summary>
    /// Throws when an extent is not positive, or when <paramref name="batchSize"/> items of this grid have more cells
    /// than a site key (a 64-bit <see cref="Key"/>) can number — keys would wrap and sites would land elsewhere.
    /// </summary>
    public void Validate(int batchSize = 1)
    {
        if (Depth <= 0 || Height <= 0 || Width <= 0)
        {
            throw new ArgumentException($"spatial shape ({Depth}, {Height}, {Width}) must be positive on every axis");
        }
        if ((Int128)Math.Max(1, batchSize) * Depth * Height * Width > long.MaxValue)
        {
            throw new ArgumentException(
                $"spatial shape ({Depth}, {Height}, {Width}){(batchSize > 1 ? $" × batch {batchSize}" : "")} has more than 2^63 cells: site keys would overflow");
        }
    }

    /// <summary>
    /// Parses "D,H,W" (z, y, x), as <c>--spatial-shape</c> takes it; anything but three positive integers is a
    /// <see cref="FormatException"/> naming <paramref name="what"/>.
    /// </summary>
    public static SpatialShape Parse(string text, string what)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new int[3];
        if (parts.Length != 3 || Enumerable.Range(0, 3).Any(i =>
                !int.TryParse(parts[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out values[i]) || values[i] <= 0))
        {
            throw new FormatException($"{what} '{text}' must be three positive integers D,H,W (z, y, x)");
        }
        var shape = new SpatialShape(values[0], values[1], values[2]);
        shape.Validate();
        return shape;
    }

    /// <summary>Linear key of a site: <c>((b*D + z)*H + y)*W + x</c>; keys sort in (batch, z, y, x) order.</summary>
    public long Key(int batch, int z, int y, int x) => (((long)batch * Depth + z) * Height + y) * Width + x;

    /// <summary>Writes (batch, z, y, x) of <paramref name="key"/>, the inverse of <see cref="Key"/>.</summary>
    public void DecodeKey(long key, Span<int> coordinate)
    {
        coordinate[3] = (int)(key % Width);
        key /= Width;
        coordinate[2] = (int)(key % Height);
        key /= Height;
        coordinate[1] = (int)(key % Depth);
        coordinate[0] = (int)(key / Depth);
    }

    /// <inheritdoc />
    public override string ToString() => $"({Depth}, {Height}, {Width})";
}
