using System.ComponentModel;
namespace KernelGen.__Internals;

/// <summary>Per-call scalars of a generated kernel's main loop, passed by value (the epilogue's are in <see cref="GpuEpilogue"/>).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public struct TileLaunch
{
    /// <summary>Output rows M.</summary>
    public int Rows;

    /// <summary>Threads launched (barrier-free kernels loop over their work items with this stride).</summary>
    public int Width;

    /// <summary>W8A8, 1: the input is int8 from the previous layer's int8 epilogue, read as it is (no quantize prologue).</summary>
    public int Int8Input;

    /// <summary>F16, 1: the input is fp16 from the previous layer's fp16 epilogue, read as half pairs (no rounding prologue).</summary>
    public int HalfInput;

    /// <summary>
    /// Pipelined tensor-core kernels: the device address of the input tensor read as it is (the int8 codes, or the fp16
    /// pairs), for <see cref="AsyncCopy"/>; 0 when the input is fp32 (gathered through registers, which round or quantize it).
    /// </summary>
    public long InputAddress;

    /// <summary>Pipelined tensor-core kernels: the device address of the packed weight words, for <see cref="AsyncCopy"/>.</summary>
    public long WeightAddress;
}
