using KernelGen.Kernels;

namespace KernelGen.Generator.Models;

/// <summary>
/// One tile × precision: the two kernels (GPU-style and barrier-free) the templates emit for it, with their sizes.
/// </summary>
/// <param name="Name">CUTLASS-style name with the shape visible, e.g. W8A8_Tile128x64x32_Smooth.</param>
/// <param name="Precision">The precision's row of the kernel table (fp32 or int8 arithmetic).</param>
/// <param name="BlockM">Output rows per group tile.</param>
/// <param name="BlockN">Output channels per group tile.</param>
/// <param name="BlockK">Input channels per reduction step.</param>
/// <param name="ThreadRows">Rows of each thread's register tile.</param>
/// <param name="ThreadCols">Channels of each thread's register tile.</param>
/// <param name="GroupSize">Threads per group of the GPU-style kernel: (BlockM / ThreadRows) × (BlockN / ThreadCols).</param>
/// <param name="SharedMemoryBytes">Shared memory of the GPU-style kernel: the input and weight tiles.</param>
/// <param name="WordsPerStep">BlockK / 4: int8 words per reduction step (W8A8).</param>
/// <param name="ReductionTail">Whether the last reduction step is partial (Cin, or its int8 words, not a multiple of the step).</param>
/// <param name="ColumnTail">Whether the last register tile sticks out past Cout (Cout not a multiple of ThreadCols).</param>
internal sealed record VariantModel(
    string Name,
    PrecisionFamily Precision,
    bool SmoothQuant,
    int BlockM,
    int BlockN,
    int BlockK,
    int ThreadRows,
    int ThreadCols,
    int GroupSize,
    int SharedMemoryBytes,
    int WordsPerStep,
    bool ReductionTail,
    bool ColumnTail)
{
    /// <summary>Whether the kernels multiply int8 words into int32 sums (else fp32).</summary>
    public bool Int8 => Precision.Arithmetic == "Int8";

    /// <summary>The runtime class wrapping this variant's kernels.</summary>
    public string RuntimeType => Precision.CudaCoreVariant!;

    /// <summary>The constructor's SmoothQuant argument (empty for a precision without a smoothing prologue).</summary>
    public string SmoothArgument => Precision.FusesSmoothQuant ? $" smoothQuant: {(SmoothQuant ? "true" : "false")}," : "";

    /// <summary>Threads along the channel axis of a group tile.</summary>
    public int ThreadsAcross => BlockN / ThreadCols;

    /// <summary>Register-tile row indices 0..ThreadRows-1, for the templates' unrolled loops.</summary>
    public EquatableArray<int> Rows => new(System.Linq.Enumerable.Range(0, ThreadRows));

    /// <summary>Register-tile column indices 0..ThreadCols-1.</summary>
    public EquatableArray<int> Cols => new(System.Linq.Enumerable.Range(0, ThreadCols));
}
