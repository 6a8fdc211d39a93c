namespace KernelGen;

/// <summary>
/// One tile configuration to generate kernels for (repeat the attribute for several; the tuner picks per device).
/// A tile covers <see cref="BlockM"/> output rows × <see cref="BlockN"/> output channels and steps through the
/// reduction (input channels) <see cref="BlockK"/> at a time. All three must be powers of two.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class TileAttribute : Attribute
{
    /// <summary>Output rows per tile (16 to 256).</summary>
    public int BlockM { get; set; } = 64;

    /// <summary>Output channels per tile (4 to 256).</summary>
    public int BlockN { get; set; } = 32;

    /// <summary>Input channels per reduction step (4 to 64).</summary>
    public int BlockK { get; set; } = 16;
}
