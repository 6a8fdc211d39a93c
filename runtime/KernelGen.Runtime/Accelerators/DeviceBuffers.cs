using ILGPU;
using ILGPU.Runtime;

namespace KernelGen.Accelerators;

/// <summary>Device buffers allocated for one job (a tuning, a benchmark case) and released together.</summary>
internal sealed class DeviceBuffers(Accelerator accelerator) : IDisposable
{
    private readonly List<MemoryBuffer> _buffers = [];

    /// <summary>A device copy of <paramref name="data"/> (one element when it is empty: ILGPU views need one).</summary>
    public MemoryBuffer1D<T, Stride1D.Dense> Copy<T>(T[] data)
        where T : unmanaged => Keep(accelerator.Allocate1D(data.Length == 0 ? new T[1] : data));

    /// <summary>An uninitialised device buffer of <paramref name="length"/> elements (at least one).</summary>
    public MemoryBuffer1D<T, Stride1D.Dense> Allocate<T>(long length)
        where T : unmanaged => Keep(accelerator.Allocate1D<T>(Math.Max(1, length)));

    /// <inheritdoc />
    public void Dispose()
    {
        _buffers.ForEach(b => b.Dispose());
        _buffers.Clear();
    }

    private MemoryBuffer1D<T, Stride1D.Dense> Keep<T>(MemoryBuffer1D<T, Stride1D.Dense> buffer)
        where T : unmanaged
    {
        _buffers.Add(buffer);
        return buffer;
    }
}
