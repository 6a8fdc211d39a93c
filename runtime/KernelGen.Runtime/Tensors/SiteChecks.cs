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

    /// <summary>
    /// A rulebook of <paramref name="rows"/> × <paramref name="kernelVolume"/> entries must fit one .NET array (and
    /// int32 indices): about 79 million sites for a 3×3×3 kernel. Beyond that, an error instead of an overflow.
    /// </summary>
    public static void EnsureRulebookFits(long rows, int kernelVolume)
    {
        if (rows * kernelVolume > Array.MaxLength)
        {
            throw new InvalidDataException(
                $"{rows} output sites × {kernelVolume} kernel offsets = {rows * kernelVolume} rulebook entries, more than the {Array.MaxLength} one map can hold; split the input into smaller scans or batches");
        }
    }

    /// <summary>Features of <paramref name="rows"/> sites × <paramref name="channels"/> must fit one .NET array.</summary>
    public static void EnsureFeaturesFit(long rows, int channels)
    {
        if (rows * channels > Array.MaxLength)
        {
            throw new InvalidDataException(
                $"{rows} output sites × {channels} channels = {rows * channels} features, more than the {Array.MaxLength} one tensor can hold; split the input into smaller scans or batches");
        }
    }

    public static InvalidDataException Duplicate(int row, int firstRow, int b, int z, int y, int x) =>
        new($"row {row}: duplicate coordinate (batch={b}, z={z}, y={y}, x={x}), first seen at row {firstRow}");
}
