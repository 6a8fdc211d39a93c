using KernelGen.Tensors;

namespace KernelGen.Networks;

/// <summary>
/// One host run's intermediate activations (fp32 and int8), recycled within the run: an output no later node reads
/// comes back here and the next node whose output has exactly that length takes it — a residual stage's layers all
/// write sites × channels of one size, so CenterPoint's 21 outputs need 12 arrays, not 21.
/// </summary>
/// <remarks>
/// Lengths are exact because a <see cref="Tensors.SparseTensor"/> is [N, C] exactly. Nothing is kept past the run:
/// keeping the arrays for the next frame (measured, #34) held every stage's sizes at once, ~70 MB for CenterPoint,
/// and raised the peak memory more than the garbage it saved. Kernels write every output element, so a recycled
/// array needs no clearing. Only arrays the run owns come back: never the network's input, its output or an output
/// kept for the caller.
/// </remarks>
internal sealed class ActivationBuffers
{
    private readonly Dictionary<(Type Element, int Length), Stack<Array>> _free = [];

    /// <summary>An array of exactly <paramref name="length"/> elements, recycled when one is free; its contents are stale.</summary>
    public T[] Rent<T>(int length)
        where T : unmanaged
    {
        if (_free.TryGetValue((typeof(T), length), out var stack) && stack.TryPop(out var buffer))
        {
            return (T[])buffer;
        }
        Allocated++;
        return FrameArray.Uninitialized<T>(length);
    }

    /// <summary>Gives back an array the run owns and no node reads any more.</summary>
    public void Return<T>(T[] buffer)
        where T : unmanaged
    {
        if (buffer.Length == 0)
        {
            return;
        }
        var key = (typeof(T), buffer.Length);
        if (!_free.TryGetValue(key, out var stack))
        {
            _free[key] = stack = new Stack<Array>();
        }
        stack.Push(buffer);
    }

    /// <summary>Arrays allocated by <see cref="Rent{T}"/> so far, recycled ones not counted (for tests).</summary>
    public int Allocated { get; private set; }
}
