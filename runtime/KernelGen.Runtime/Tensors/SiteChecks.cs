namespace KernelGen.Tensors;

/// <summary>The errors kernel-map builders raise for bad sites, worded like <see cref="SparseTensor.Validate"/>.</summary>
internal static class SiteChecks
{
    public static void EnsureInside(int row, int b, int z, int y, int x, SpatialShape shape, int batchSize)
    {
        if ((uint)b >= (uint)batchSize)
        {
            throw new InvalidDataException($"row {row}: batch index {b} is outside [0, {batchSize})");
        }
        if ((uint)z >= (uint)shape.Depth || (uint)y >= (uint)shape.Height || (uint)x >= (uint)shape.Width)
        {
            throw new InvalidDataException($"row {row}: coordinate (z={z}, y={y}, x={x}) is outside the spatial shape {shape}");
        }
    }

    public static InvalidDataException Duplicate(int row, int firstRow, int b, int z, int y, int x) =>
        new($"row {row}: duplicate coordinate (batch={b}, z={z}, y={y}, x={x}), first seen at row {firstRow}");
}
