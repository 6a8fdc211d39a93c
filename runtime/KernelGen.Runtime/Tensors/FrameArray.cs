namespace KernelGen.Tensors;

/// <summary>
/// Allocates the large arrays every frame makes anew — voxels, kernel maps, activations — on the pinned-object heap.
/// </summary>
/// <remarks>
/// These arrays are megabytes each and die a frame later. On the large-object heap the collector (kernelgen's
/// <c>ConserveMemory</c> setting, which holds the peak memory down) compacts them, copying tens of megabytes in a
/// blocking pause that lands inside whichever phase allocates next; the pinned-object heap is never compacted and
/// reuses the freed blocks of last frame's same-sized arrays. Measured on CenterPoint and SECOND frames (#34): the
/// pauses inside a frame fell from 17 to 7 ms and from 9 to 3 ms, peak memory equal or lower. Pinning costs nothing
/// else here: nothing moves these arrays anyway, and device copies read them directly.
/// </remarks>
internal static class FrameArray
{
    /// <summary>An array of <paramref name="length"/> elements whose contents the caller overwrites.</summary>
    public static T[] Uninitialized<T>(int length)
        where T : unmanaged => GC.AllocateUninitializedArray<T>(length, pinned: true);
}
