using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;

namespace KernelGen.Accelerators;

/// <summary>
/// One-element buffers per accelerator that stand in for the views a launch does not use (ILGPU kernels take every
/// view argument; a kernel reads one only when the call's flags say so).
/// </summary>
internal static class DeviceScratch
{
    private sealed class Buffers(Accelerator accelerator)
    {
        public readonly MemoryBuffer1D<float, Stride1D.Dense> Floats = accelerator.Allocate1D<float>(1);
        public readonly MemoryBuffer1D<sbyte, Stride1D.Dense> Bytes = accelerator.Allocate1D<sbyte>(1);
        public readonly MemoryBuffer1D<ushort, Stride1D.Dense> Halves = accelerator.Allocate1D<ushort>(2);
        public readonly MemoryBuffer1D<int, Stride1D.Dense> Words = accelerator.Allocate1D<int>(1);
    }

    private static readonly ConditionalWeakTable<Accelerator, Buffers> ByAccelerator = new();

    public static ArrayView<float> Floats(Accelerator accelerator) => ByAccelerator.GetValue(accelerator, a => new Buffers(a)).Floats.View;

    public static ArrayView<sbyte> Bytes(Accelerator accelerator) => ByAccelerator.GetValue(accelerator, a => new Buffers(a)).Bytes.View;

    /// <summary>Two fp16 stand-in elements (one word, for views read as half pairs).</summary>
    public static ArrayView<ushort> Halves(Accelerator accelerator) => ByAccelerator.GetValue(accelerator, a => new Buffers(a)).Halves.View;

    /// <summary>A one-word stand-in.</summary>
    public static ArrayView<int> Words(Accelerator accelerator) => ByAccelerator.GetValue(accelerator, a => new Buffers(a)).Words.View;
}
