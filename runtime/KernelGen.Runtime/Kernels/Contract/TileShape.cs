namespace KernelGen.Kernels;

/// <summary>A tile: <see cref="BlockM"/> output rows × <see cref="BlockN"/> output channels, reduction step <see cref="BlockK"/>.</summary>
public readonly record struct TileShape(int BlockM, int BlockN, int BlockK)
{
    /// <inheritdoc />
    public override string ToString() => $"{BlockM}x{BlockN}x{BlockK}";
}
