using ILGPU.Runtime;
using KernelGen.Kernels;
using KernelGen.Variants;

namespace KernelGen.Tuning;

/// <summary>
/// The kernel a layer uses when the cache has no entry for it (run <c>kernelgen tune</c> to measure instead), among the
/// kernels that declare what the use needs and can run here: on the CPU accelerator the CPU SIMD variant with the
/// widest allowed instructions (never the portable one while a vector path runs) and the largest row tile, then a
/// barrier-free variant; on a GPU the tensor-core variant with the largest tile that fits (compute capability 8.0 and
/// later), else the GPU-style one. The generic kernel of the
/// precision is the last resort, chosen explicitly — it always exists and has the whole epilogue.
/// </summary>
public static class DefaultVariantChoice
{
    /// <summary>The default for <paramref name="layer"/> used with <paramref name="needs"/> on <paramref name="accelerator"/>.</summary>
    public static IConvKernel Pick(LayerDescriptor layer, KernelNeeds needs, Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(needs);
        ArgumentNullException.ThrowIfNull(accelerator);
        var runnable = layer.KernelsFor(needs).Where(k => k.CanRun(accelerator, out _)).ToList();
        IConvKernel? Largest(KernelShape shape) =>
            runnable.Where(k => k.Shape == shape).OrderByDescending(k => k.Tile.BlockM * k.Tile.BlockN).FirstOrDefault();
        var best = accelerator.AcceleratorType == AcceleratorType.CPU
            ? runnable.Where(k => k.Shape == KernelShape.CpuSimd)
                .OrderByDescending(k => Rank(k.Capabilities.InstructionSet))
                .ThenByDescending(k => k.Tile.BlockM)
                .FirstOrDefault() ?? Largest(KernelShape.BarrierFree)
            : Largest(KernelShape.TensorCore) ?? Largest(KernelShape.GpuStyle) ?? Largest(KernelShape.BarrierFree);
        return best ?? Largest(KernelShape.Generic)
            ?? throw new ArgumentException($"{layer.Name} has no kernel for {needs.Text} that can run on {accelerator.Name}");
    }

    /// <summary>The default for <paramref name="layer"/> at <paramref name="precision"/> (fp32 in and out, no residual).</summary>
    public static IConvKernel Pick(LayerDescriptor layer, Precision precision, Accelerator accelerator) =>
        Pick(layer, new KernelNeeds(precision), accelerator);

    // More work per instruction first (the kernel table's rank: VNNI's four int8 products per lane, then 512-bit, then
    // 256-bit); the portable path last.
    private static int Rank(CpuInstructionSet? set) => set is { } s ? KernelFamilies.PathOf(s).Rank : 0;
}
