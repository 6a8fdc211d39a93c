using ILGPU.Runtime;
using KernelGen.Variants;

namespace KernelGen.Tuning;

/// <summary>
/// The variant a layer uses when the cache has no entry for it (run <c>kernelgen tune</c> to measure instead):
/// on the CPU accelerator the CPU SIMD variant with the widest supported instructions (W8A8: VNNI, else portable;
/// fp32: Vector512, then Vector256, then portable) and the largest row tile; on a GPU the GPU-style variant with the
/// largest tile that fits the device. Null when the layer has no variant of that precision that can run.
/// </summary>
public static class DefaultVariantChoice
{
    /// <summary>The default for <paramref name="layer"/> at <paramref name="precision"/> on <paramref name="accelerator"/>.</summary>
    public static KernelVariant? Pick(LayerDescriptor layer, Precision precision, Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var runnable = layer.Variants.Where(v => v.Precision == precision && v.CanRun(accelerator, out _)).ToList();
        if (accelerator.AcceleratorType == AcceleratorType.CPU)
        {
            return runnable.Where(v => v.Shape == KernelShape.CpuSimd)
                .OrderByDescending(v => Rank(v))
                .ThenByDescending(v => v.Tile.BlockM)
                .FirstOrDefault()
                ?? runnable.Where(v => v.Shape == KernelShape.BarrierFree).OrderByDescending(v => v.Tile.BlockM * v.Tile.BlockN).FirstOrDefault();
        }
        return runnable.Where(v => v.Shape == KernelShape.GpuStyle).OrderByDescending(v => v.Tile.BlockM * v.Tile.BlockN).FirstOrDefault()
            ?? runnable.FirstOrDefault(v => v.Shape != KernelShape.CpuSimd);
    }

    private static int Rank(KernelVariant variant) => variant switch
    {
        CpuF32Variant { InstructionSet: CpuInstructionSet.Vector512Fma } => 3,
        CpuF32Variant { InstructionSet: CpuInstructionSet.Vector256Fma } => 2,
        CpuW8A8Variant { InstructionSet: CpuInstructionSet.AvxVnni256 } => 3,
        _ => 1,
    };
}
