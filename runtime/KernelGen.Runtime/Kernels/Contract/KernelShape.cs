namespace KernelGen.Kernels;

/// <summary>How a kernel is organised (declared by every <see cref="KernelGen.Kernels.IConvKernel"/>).</summary>
public enum KernelShape
{
    /// <summary>Explicitly grouped: the group stages input and weight tiles in shared memory between <c>Group.Barrier</c>s.</summary>
    GpuStyle,

    /// <summary>Each thread owns a register tile of outputs and loops over the reduction; no shared memory, no barriers.</summary>
    BarrierFree,

    /// <summary>Plain C# with <c>System.Runtime.Intrinsics</c> on the host CPU (not an ILGPU kernel): output-stationary
    /// register tiles, parallel over row tiles. A candidate only on the CPU accelerator.</summary>
    CpuSimd,

    /// <summary>Explicitly grouped like <see cref="GpuStyle"/>, with the multiply-adds on tensor cores: warps issue
    /// <c>mma.sync</c> on 16 × 8 tiles from double-buffered shared memory (CUDA compute capability 8.0 and later; ILGPU's
    /// CPU accelerator with 32-thread warps emulates the instruction).</summary>
    TensorCore,

    /// <summary>The generic ILGPU kernels: run-time shapes, one thread per output element, no tile.</summary>
    Generic,
}
