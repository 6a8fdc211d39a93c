using ILGPU;
using ILGPU.Runtime;

namespace KernelGen.Accelerators;

/// <summary>
/// Device buffers reused from frame to frame: a request takes the smallest free buffer that is large enough (callers
/// use a view of exactly the length they need) or allocates one, and a returned buffer waits for the next request. A
/// device-resident network run then allocates on its first frames only: cudaMalloc per node and frame is gone.
/// </summary>
internal sealed class DeviceBufferPool<T>(Accelerator accelerator) : IDisposable
    where T : unmanaged
{
    private readonly List<MemoryBuffer1D<T, Stride1D.Dense>> _free = [];
    private readonly HashSet<MemoryBuffer1D<T, Stride1D.Dense>> _rented = [];

    /// <summary>Buffers allocated so far (free and rented).</summary>
    public int Allocated => _free.Count + _rented.Count;

    /// <summary>A buffer of at least <paramref name="length"/> elements (at least one).</summary>
    public MemoryBuffer1D<T, Stride1D.Dense> Rent(long length)
    {
        length = Math.Max(1, length);
        lock (_free)
        {
            int best = -1;
            for (int i = 0; i < _free.Count; i++)
            {
                if (_free[i].Length >= length && (best < 0 || _free[i].Length < _free[best].Length))
                {
                    best = i;
                }
            }
            MemoryBuffer1D<T, Stride1D.Dense> buffer;
            if (best >= 0)
            {
                buffer = _free[best];
                _free.RemoveAt(best);
            }
            else
            {
                buffer = accelerator.Allocate1D<T>(length);
            }
            _rented.Add(buffer);
            return buffer;
        }
    }

    /// <summary>Gives <paramref name="buffer"/> back for a later request.</summary>
    public void Return(MemoryBuffer1D<T, Stride1D.Dense> buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        lock (_free)
        {
            if (!_rented.Remove(buffer))
            {
                throw new InvalidOperationException("the buffer was not rented from this pool");
            }
            _free.Add(buffer);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_free)
        {
            foreach (var buffer in _free.Concat(_rented))
            {
                buffer.Dispose();
            }
            _free.Clear();
            _rented.Clear();
        }
    }
}
