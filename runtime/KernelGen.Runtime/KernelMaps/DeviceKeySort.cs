using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Algorithms.RadixSortOperations;
using ILGPU.Runtime;

namespace KernelGen.KernelMaps;

/// <summary>
/// Ascending sort of 64-bit keys in an accelerator's memory, for the device map builder and the device voxelizer:
/// ILGPU's radix sort on a GPU; on the CPU accelerator, whose "device" memory is host memory and whose barriers are OS
/// threads (its radix sort took 4.9 s for 56k keys), <see cref="Array.Sort(Array)"/> there. The keys are unique where it
/// is used, so every sort gives the one order.
/// </summary>
internal sealed class DeviceKeySort(Accelerator accelerator)
{
    private readonly RadixSort<long, Stride1D.Dense> _sort = accelerator.CreateRadixSort<long, Stride1D.Dense, AscendingInt64>();

    /// <summary>Sorts <paramref name="keys"/> in place on <paramref name="stream"/>.</summary>
    public void Sort(AcceleratorStream stream, ArrayView1D<long, Stride1D.Dense> keys)
    {
        if (keys.Length == 0)
        {
            return;
        }
        if (accelerator.AcceleratorType == AcceleratorType.CPU)
        {
            var host = keys.GetAsArray1D(stream);
            Array.Sort(host);
            keys.CopyFromCPU(stream, host);
            return;
        }
        var tempSize = accelerator.ComputeRadixSortTempStorageSize<long, AscendingInt64>(checked((int)keys.Length));
        using var temp = accelerator.Allocate1D<int>(tempSize);
        _sort(stream, keys, temp.View);
    }
}
