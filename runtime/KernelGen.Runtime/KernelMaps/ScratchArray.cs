using System.Buffers;

namespace KernelGen.KernelMaps;

/// <summary>
/// A scratch array from <see cref="ArrayPool{T}.Shared"/> for the duration of one map build or voxelization (site keys,
/// (key, pair) lists, radix-sort buffers): a frame rebuilds the same sizes, so renting instead of allocating keeps
/// megabytes a frame off the large-object heap, whose collections are what grows a streaming process's memory.
/// The array may be longer than asked for; only the first <see cref="Length"/> entries are the caller's.
/// </summary>
internal readonly struct ScratchArray<T> : IDisposable
{
    private ScratchArray(T[] array, int length)
    {
        Array = array;
        Length = length;
    }

    public T[] Array { get; }

    public int Length { get; }

    public Span<T> Span => Array.AsSpan(0, Length);

    public static ScratchArray<T> Rent(int length) => new(ArrayPool<T>.Shared.Rent(length), length);

    public void Dispose() => ArrayPool<T>.Shared.Return(Array);
}
