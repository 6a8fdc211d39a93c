using ILGPU.Runtime;

namespace KernelGen.Kernels;

/// <summary>
/// Launch widths for grid-stride kernels: launch at most as many threads as the accelerator runs at once and let each
/// thread loop over elements <c>i, i + width, i + 2·width, …</c>. On ILGPU's CPU accelerator every launched thread
/// costs about a microsecond of scheduling, so one thread per element would spend more time being scheduled than
/// computing; on CUDA a full-occupancy grid-stride launch is as fast as one thread per element.
/// </summary>
internal static class GridStride
{
    /// <summary>Threads to launch for <paramref name="elements"/> elements (at least 1).</summary>
    public static int Width(Accelerator accelerator, long elements)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        long resident = (long)accelerator.NumMultiprocessors * accelerator.MaxNumThreadsPerMultiprocessor;
        return (int)Math.Clamp(Math.Min(elements, resident), 1, int.MaxValue);
    }
}

/// <summary>Kernel argument of a grid-stride loop: elements to cover and threads launched.</summary>
internal readonly record struct GridStrideRange(int Elements, int Width);
