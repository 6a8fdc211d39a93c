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

    /// <summary>
    /// 2, 3 or 4: the tile's tensor-core kernels (W8A8, fp16) also come as a <c>cp.async</c> pipeline of this many shared
    /// stages — while the warps multiply one reduction step, the next stages' input and weight words are copied
    /// asynchronously, as spconv 2 and CUTLASS's multistage kernels do — beside the kernels that gather through
    /// registers; the tuner times both. Needs compute capability 8.0 (on ILGPU's CPU accelerator a plain copy stands in).
    /// Default 0: no pipelined kernels.
    /// </summary>
    public int AsyncStages { get; set; }
}
