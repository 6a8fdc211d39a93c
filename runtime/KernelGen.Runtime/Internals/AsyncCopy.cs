using System.ComponentModel;
using ILGPU;
using ILGPU.Runtime.Cuda;

namespace KernelGen.__Internals;

/// <summary>
/// Asynchronous global → shared copies for the pipelined tensor-core kernels (device code): <c>cp.async</c> on CUDA
/// (compute capability 8.0 and later), a plain copy on ILGPU's CPU accelerator.
/// <para>
/// What ILGPU 1.5 cannot express, and how this works around it: <c>cp.async</c> takes a shared-memory address and a
/// global one, and an ILGPU kernel can turn neither a view element nor a <c>ref</c> into an integer address
/// (<c>Unsafe.AsPointer</c> and pointer conversions are not supported on the device). So the staged tiles live in the
/// kernel's dynamic shared memory, which ILGPU's PTX always names <c>__dyn_shared_alloca</c> (a byte offset from that
/// symbol is the shared address), and the host passes the device address of each source tensor
/// (<see cref="TileLaunch.InputAddress"/>, <see cref="TileLaunch.WeightAddress"/>): the kernel adds the word's byte
/// offset. The CPU accelerator's copy turns that same address back into an index of the source view, so the address
/// arithmetic the GPU uses is exactly what the CPU tests check.
/// </para>
/// <para>
/// Copies are 4 bytes (one operand word): the gathers read one word per thread and kernel-map row (a row's words are
/// contiguous only within one kernel offset, and rows are gathered, not strided). A missing neighbour or a word past the
/// reduction copies nothing and zero-fills (<c>src-size</c> 0), so no thread branches around its copy.
/// </para>
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class AsyncCopy
{
    /// <summary>
    /// Starts copying the word at device address <paramref name="address"/> of the tensor <paramref name="source"/>
    /// (whose first element is at <paramref name="sourceAddress"/>) into word <paramref name="sharedWord"/> of the
    /// kernel's dynamic shared memory <paramref name="staged"/>, or zero-filling it when not <paramref name="valid"/>.
    /// The word is there after the next <see cref="Commit"/>, a <c>Wait</c> that covers its group and a barrier.
    /// </summary>
    public static void Word(ArrayView<int> staged, int sharedWord, ArrayView<int> source, long sourceAddress, long address, bool valid)
    {
        if (CudaAsm.IsSupported)
        {
            // An invalid word reads 0 bytes from the tensor's first element: an address that exists.
            CudaAsm.Emit(
                "{ .reg .u64 %%kg_shared, %%kg_global; mov.u64 %%kg_shared, __dyn_shared_alloca; add.u64 %%kg_shared, %%kg_shared, %0; "
                + "cvta.to.global.u64 %%kg_global, %1; cp.async.ca.shared.global [%%kg_shared], [%%kg_global], 4, %2; }",
                4L * sharedWord, valid ? address : sourceAddress, valid ? 4 : 0);
            return;
        }
        staged[sharedWord] = valid ? source[(address - sourceAddress) >> 2] : 0;
    }

    /// <summary>The device address of word <paramref name="word"/> of a tensor whose first element is at <paramref name="tensorAddress"/>.</summary>
    public static long AddressOf(long tensorAddress, int word) => tensorAddress + 4L * word;

    /// <summary>Closes this thread's group of copies started since the last commit (<c>cp.async.commit_group</c>).</summary>
    public static void Commit()
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("cp.async.commit_group;");
        }
    }

    // One wait per pipeline depth: wait_group takes its count as an immediate, and CudaAsm needs the instruction as a
    // constant string.

    /// <summary>Waits until at most 0 of this thread's committed groups are in flight (<c>cp.async.wait_group 0</c>): a 2-stage pipeline.</summary>
    public static void WaitPending0()
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("cp.async.wait_group 0;");
        }
    }

    /// <summary>Waits until at most 1 of this thread's committed groups is in flight: a 3-stage pipeline.</summary>
    public static void WaitPending1()
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("cp.async.wait_group 1;");
        }
    }

    /// <summary>Waits until at most 2 of this thread's committed groups are in flight: a 4-stage pipeline.</summary>
    public static void WaitPending2()
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("cp.async.wait_group 2;");
        }
    }
}
