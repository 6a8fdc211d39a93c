using System.ComponentModel;
using ILGPU;
using ILGPU.Runtime.Cuda;

namespace KernelGen.__Internals;

/// <summary>
/// Asynchronous global → shared copies for the pipelined tensor-core kernels (device code): <c>cp.async</c> on CUDA
/// (compute capability 8.0 and later); on ILGPU's CPU accelerator an emulation with the same completion rules.
/// <para>
/// What ILGPU 1.5 cannot express, and how this works around it: <c>cp.async</c> takes a shared-memory address and a
/// global one, and an ILGPU kernel can turn neither a view element nor a <c>ref</c> into an integer address
/// (<c>Unsafe.AsPointer</c> and pointer conversions are not supported on the device). So the staged tiles live in the
/// kernel's dynamic shared memory, which ILGPU's PTX always names <c>__dyn_shared_alloca</c> (a byte offset from that
/// symbol is the shared address), and the host passes the device address of each source tensor
/// (<see cref="TileLaunch.InputAddress"/>, <see cref="TileLaunch.WeightAddress"/>): the kernel adds the word's byte
/// offset.
/// </para>
/// <para>
/// The CPU emulation makes the tests check what the GPU relies on: the copy reads the source at the address turned back
/// into an index (the GPU's address arithmetic), and the word lands in shared memory only when a wait covers its commit
/// group, as on the GPU — until then it sits in the thread's log at the end of the dynamic shared memory
/// (<see cref="EmulationLogWordsPerThread"/> per thread, which launches on the CPU accelerator add). A kernel that read a
/// stage before waiting for it, or waited for too few groups, would read the stage's previous contents and fail the
/// tests instead of passing by luck.
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
    /// <summary>Copies a thread can have in flight in the CPU emulation's log (stages × the copies of one step, with room).</summary>
    private const int EmulationLogEntries = 64;

    /// <summary>
    /// Dynamic shared memory words per thread that a pipelined kernel's launch adds on the CPU accelerator for the
    /// emulation's log: the groups committed, the entries logged, then (shared word, value, group) per entry.
    /// </summary>
    public const int EmulationLogWordsPerThread = 2 + 3 * EmulationLogEntries;

    /// <summary>Before a thread's first copy: nothing committed, nothing in flight (the CPU emulation's log starts empty).</summary>
    public static void Start(ArrayView<int> staged)
    {
        if (CudaAsm.IsSupported)
        {
            return;
        }
        int log = LogOf(staged);
        staged[log] = 0;
        staged[log + 1] = 0;
    }

    /// <summary>
    /// Starts copying the word at device address <paramref name="address"/> of the tensor <paramref name="source"/>
    /// (whose first element is at <paramref name="sourceAddress"/>) into word <paramref name="sharedWord"/> of the
    /// kernel's dynamic shared memory <paramref name="staged"/>, or zero-filling it when not <paramref name="valid"/>.
    /// The word is there after the next <see cref="Commit"/>, a wait that covers that group, and a barrier.
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
        int log = LogOf(staged);
        int entries = staged[log + 1];
        if (entries == EmulationLogEntries)
        {
            // A full log (more copies in flight than it holds): the oldest group lands early, which keeps the results
            // right and only stops checking that group's wait.
            Land(staged, log, staged[log + 2 + 2]);
            entries = staged[log + 1];
        }
        int entry = log + 2 + 3 * entries;
        staged[entry] = sharedWord;
        staged[entry + 1] = valid ? source[(address - sourceAddress) >> 2] : 0;
        staged[entry + 2] = staged[log]; // the group it will be committed in
        staged[log + 1] = entries + 1;
    }

    /// <summary>The device address of word <paramref name="word"/> of a tensor whose first element is at <paramref name="tensorAddress"/>.</summary>
    public static long AddressOf(long tensorAddress, int word) => tensorAddress + 4L * word;

    /// <summary>Closes this thread's group of copies started since the last commit (<c>cp.async.commit_group</c>).</summary>
    public static void Commit(ArrayView<int> staged)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("cp.async.commit_group;");
            return;
        }
        int log = LogOf(staged);
        staged[log]++;
    }

    // One wait per pipeline depth: wait_group takes its count as an immediate, and CudaAsm needs the instruction as a
    // constant string.

    /// <summary>Waits until at most 0 of this thread's committed groups are in flight (<c>cp.async.wait_group 0</c>): a 2-stage pipeline.</summary>
    public static void WaitPending0(ArrayView<int> staged)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("cp.async.wait_group 0;");
            return;
        }
        LandCommitted(staged, 0);
    }

    /// <summary>Waits until at most 1 of this thread's committed groups is in flight: a 3-stage pipeline.</summary>
    public static void WaitPending1(ArrayView<int> staged)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("cp.async.wait_group 1;");
            return;
        }
        LandCommitted(staged, 1);
    }

    /// <summary>Waits until at most 2 of this thread's committed groups are in flight: a 4-stage pipeline.</summary>
    public static void WaitPending2(ArrayView<int> staged)
    {
        if (CudaAsm.IsSupported)
        {
            CudaAsm.Emit("cp.async.wait_group 2;");
            return;
        }
        LandCommitted(staged, 2);
    }

    /// <summary>This thread's log: after the stages, at the end of the dynamic shared memory.</summary>
    private static int LogOf(ArrayView<int> staged) =>
        (int)staged.Length - (Group.Dimension.X - Group.IdxX) * EmulationLogWordsPerThread;

    /// <summary>Lands every logged copy of a committed group older than the <paramref name="pending"/> newest ones.</summary>
    private static void LandCommitted(ArrayView<int> staged, int pending)
    {
        int log = LogOf(staged);
        Land(staged, log, staged[log] - 1 - pending);
    }

    /// <summary>Writes the logged copies of groups up to <paramref name="lastGroup"/> into shared memory and keeps the others, in order.</summary>
    private static void Land(ArrayView<int> staged, int log, int lastGroup)
    {
        int entries = staged[log + 1], kept = 0;
        for (int e = 0; e < entries; e++)
        {
            int entry = log + 2 + 3 * e;
            if (staged[entry + 2] <= lastGroup)
            {
                staged[staged[entry]] = staged[entry + 1];
            }
            else
            {
                int to = log + 2 + 3 * kept;
                staged[to] = staged[entry];
                staged[to + 1] = staged[entry + 1];
                staged[to + 2] = staged[entry + 2];
                kept++;
            }
        }
        staged[log + 1] = kept;
    }
}
