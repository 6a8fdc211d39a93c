namespace KernelGen.Generator.Models;

/// <summary>
/// One tensor-core variant: a group of <see cref="WarpsM"/> × <see cref="WarpsN"/> warps computes a BlockM × BlockN
/// output tile; each warp a <see cref="WarpM"/> × <see cref="WarpN"/> warp tile of 16 × 8 mma tiles (CUTLASS's
/// threadblock / warp / instruction levels). The reduction runs over (kernel offset, input-channel word) as one flat
/// index in steps of <see cref="StepWords"/> 32-bit words (32, 16 or 8: the most that fits two stages into 48 KiB of
/// shared memory; each word four int8 or two fp16 channels, each 8 words one instruction's K), gathered through the
/// kernel map into double-buffered shared memory.
/// </summary>
/// <param name="Name">e.g. W8A8_Tile64x32x32_Warp16x32_Smooth_TensorCore.</param>
/// <param name="W8A8">int8 mma (m16n8k32, int32 sums) when true, else fp16 mma (m16n8k16, fp32 sums).</param>
/// <param name="SmoothQuant">W8A8: whether the prologue's multipliers include SmoothQuant factors.</param>
/// <param name="BlockM">Output rows per group tile.</param>
/// <param name="BlockN">Output channels per group tile.</param>
/// <param name="StepWords">32-bit words of the reduction per step (a multiple of 8: one mma K per 8 words).</param>
/// <param name="WarpM">Output rows per warp tile (a multiple of 16).</param>
/// <param name="WarpN">Output channels per warp tile (a multiple of 8).</param>
/// <param name="WarpsM">Warps down the group tile.</param>
/// <param name="WarpsN">Warps across the group tile.</param>
/// <param name="SharedMemoryBytes">Two stages of the input and weight tiles.</param>
internal sealed record TensorCoreVariantModel(
    string Name,
    bool W8A8,
    bool SmoothQuant,
    int BlockM,
    int BlockN,
    int StepWords,
    int WarpM,
    int WarpN,
    int WarpsM,
    int WarpsN,
    int SharedMemoryBytes)
{
    /// <summary>
    /// Words per row of a shared tile: the step's words plus 4 of padding, so the 32 lanes' fragment loads (row g, word
    /// 8·kk + t, and + 4) fall in 32 different banks for steps of 8, 16 and 32 words.
    /// </summary>
    public int RowStride => StepWords + 4;

    /// <summary>Reduction channels per step (the tile's K): four per word for int8, two for fp16.</summary>
    public int BlockK => StepWords * (W8A8 ? 4 : 2);

    /// <summary>mma K steps per shared-memory stage (8 words each).</summary>
    public EquatableArray<int> InstructionSteps => new(System.Linq.Enumerable.Range(0, StepWords / 8));

    /// <summary>The runtime class wrapping this variant's kernel.</summary>
    public string RuntimeType => W8A8 ? "W8A8Variant" : "F16Variant";

    /// <summary>The W8A8 constructor's SmoothQuant argument (empty for fp16).</summary>
    public string SmoothArgument => W8A8 ? $" smoothQuant: {(SmoothQuant ? "true" : "false")}," : "";

    /// <summary>Threads per group.</summary>
    public int GroupSize => 32 * WarpsM * WarpsN;

    /// <summary>16-row mma tiles down a warp tile.</summary>
    public EquatableArray<int> MmaRows => new(System.Linq.Enumerable.Range(0, WarpM / 16));

    /// <summary>8-channel mma tiles across a warp tile.</summary>
    public EquatableArray<int> MmaCols => new(System.Linq.Enumerable.Range(0, WarpN / 8));

    /// <summary>Input words each thread gathers per step: BlockM · StepWords / threads (a whole number for every warp layout).</summary>
    public EquatableArray<int> GatherSlots => new(System.Linq.Enumerable.Range(0, BlockM * StepWords / GroupSize));

    /// <summary>
    /// Tile rows between a thread's gather slots: threads / StepWords (thread i gathers word i % StepWords of rows
    /// i / StepWords, i / StepWords + this, …, so a warp reads whole runs of a row's channels).
    /// </summary>
    public int RowsPerGatherSlot => GroupSize / StepWords;
}
