using KernelGen.Kernels;

namespace KernelGen.Generator.Models;

/// <summary>
/// One tensor-core variant: a group of <see cref="WarpsM"/> × <see cref="WarpsN"/> warps computes a BlockM × BlockN
/// output tile; each warp a <see cref="WarpM"/> × <see cref="WarpN"/> warp tile of 16 × 8 mma tiles (CUTLASS's
/// threadblock / warp / instruction levels). The reduction runs over (kernel offset, input-channel word) as one flat
/// index in steps of one instruction's K (8 words: 32 int8 or 16 fp16 channels), gathered through the kernel map into
/// double-buffered shared memory.
/// </summary>
/// <param name="Name">e.g. W8A8_Tile64x32x32_Warp16x32_Smooth_TensorCore.</param>
/// <param name="Precision">The precision's row of the kernel table: int8 mma (m16n8k32, int32 sums) or fp16 mma (m16n8k16, fp32 sums).</param>
/// <param name="SmoothQuant">W8A8: whether the prologue's multipliers include SmoothQuant factors.</param>
/// <param name="BlockM">Output rows per group tile.</param>
/// <param name="BlockN">Output channels per group tile.</param>
/// <param name="InstructionK">Reduction elements (channels) per step: 32 int8 or 16 fp16.</param>
/// <param name="WarpM">Output rows per warp tile (a multiple of 16).</param>
/// <param name="WarpN">Output channels per warp tile (a multiple of 8).</param>
/// <param name="WarpsM">Warps down the group tile.</param>
/// <param name="WarpsN">Warps across the group tile.</param>
/// <param name="SharedMemoryBytes">The stages of the input and weight tiles and the offset flags.</param>
/// <param name="AsyncStages">0: gathered through registers into two static shared stages; 2 to 4: a cp.async pipeline of that many stages in dynamic shared memory.</param>
/// <param name="ByteRowsAreWords">Int8 input rows (Cin bytes) are whole words (Cin a multiple of 4), so int8 input words can be copied as they are.</param>
internal sealed record TensorCoreVariantModel(
    string Name,
    PrecisionFamily Precision,
    bool SmoothQuant,
    int BlockM,
    int BlockN,
    int InstructionK,
    int WarpM,
    int WarpN,
    int WarpsM,
    int WarpsN,
    int SharedMemoryBytes,
    int AsyncStages,
    bool ByteRowsAreWords)
{
    /// <summary>32-bit words of the reduction per step (one mma's K): A and B fragments hold words t and 4 + t.</summary>
    public const int StepWords = 8;

    /// <summary>
    /// Words per row of a shared tile: the step's 8 plus 4 of padding, so the 32 lanes' fragment loads (row g, word t)
    /// fall in 32 different banks.
    /// </summary>
    public const int RowStride = 12;

    /// <summary>Whether the mma multiplies int8 (else fp16).</summary>
    public bool Int8 => Precision.Arithmetic == "Int8";

    /// <summary>The runtime class wrapping this variant's kernel.</summary>
    public string RuntimeType => Precision.TensorCoreVariant!;

    /// <summary>The constructor's SmoothQuant argument (empty for a precision without a smoothing prologue).</summary>
    public string SmoothArgument => Precision.FusesSmoothQuant ? $" smoothQuant: {(SmoothQuant ? "true" : "false")}," : "";

    /// <summary>Whether the kernel gathers through a cp.async pipeline.</summary>
    public bool Pipelined => AsyncStages > 0;

    /// <summary>A pipelined kernel's stages in dynamic shared memory, bytes (the runtime requests them at launch).</summary>
    public int DynamicSharedMemoryBytes => Pipelined ? StageBytes(AsyncStages, BlockM, BlockN) : 0;

    /// <summary>Bytes of <paramref name="stages"/> shared stages of a BlockM × BlockN tile's input and weight words.</summary>
    public static int StageBytes(int stages, int blockM, int blockN) => stages * (blockM + blockN) * RowStride * 4;

    /// <summary>Committed groups a pipelined kernel lets stay in flight when it waits for a step: stages − 2.</summary>
    public int PendingGroups => AsyncStages - 2;

    /// <summary>Threads per group.</summary>
    public int GroupSize => 32 * WarpsM * WarpsN;

    /// <summary>16-row mma tiles down a warp tile.</summary>
    public EquatableArray<int> MmaRows => new(System.Linq.Enumerable.Range(0, WarpM / 16));

    /// <summary>8-channel mma tiles across a warp tile.</summary>
    public EquatableArray<int> MmaCols => new(System.Linq.Enumerable.Range(0, WarpN / 8));

    /// <summary>Input words each thread gathers per step: BlockM · 8 / threads (a whole number for every warp layout).</summary>
    public EquatableArray<int> GatherSlots => new(System.Linq.Enumerable.Range(0, BlockM * StepWords / GroupSize));

    /// <summary>Tile rows between a thread's gather slots: threads / 8 (thread i gathers word i % 8 of rows i / 8, i / 8 + this, …).</summary>
    public int RowsPerGatherSlot => GroupSize / StepWords;

    /// <summary>The step's words, for the templates' unrolled fragment loads.</summary>
    public int StepWordsValue => StepWords;

    /// <summary>See <see cref="RowStride"/>.</summary>
    public int RowStrideValue => RowStride;
}
