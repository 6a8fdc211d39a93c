using KernelGen;
using KernelGen.Tensors;

namespace KernelGen.KernelMaps;

/// <summary>
/// The rulebook of one sparse conv (TorchSparse's out_in_map): for output row i and kernel offset k,
/// <c>OutIn[i * K + k]</c> is the input row that contributes, or -1 where the neighbour is missing.
/// </summary>
/// <remarks>
/// Output rows are in a deterministic order: the input order for submanifold convs, sorted by
/// (batch, z, y, x) for regular sparse convs, and the forward conv's input order for inverse convs. A map built on an
/// accelerator (<see cref="IlgpuKernelMapBuilder"/>) keeps its rulebook there for the device-resident runs and copies it
/// to the host on the first read of <see cref="OutIn"/>.
/// </remarks>
public sealed class KernelMap
{
    internal KernelMap(
        ConvGeometry geometry, SpatialShape inputShape, SpatialShape outputShape, int batchSize,
        int inputCount, int[] outputCoordinates, int[] outIn, KernelMapMethod method, long? lookups)
        : this(geometry, inputShape, outputShape, batchSize, inputCount, outputCoordinates, method, lookups) => _outIn = outIn;

    /// <summary>
    /// A map whose rulebook a device builder left in the accelerator's memory (<paramref name="deviceOutIn"/>, [M, K],
    /// owned by the map from now on): device-resident runs read it there, and <see cref="OutIn"/> downloads it only when
    /// a caller asks for the host copy. <paramref name="pairCount"/> was counted on the device.
    /// </summary>
    internal KernelMap(
        ConvGeometry geometry, SpatialShape inputShape, SpatialShape outputShape, int batchSize, int inputCount,
        int[] outputCoordinates, ILGPU.Runtime.MemoryBuffer1D<int, ILGPU.Stride1D.Dense> deviceOutIn, long pairCount, KernelMapMethod method)
        : this(geometry, inputShape, outputShape, batchSize, inputCount, outputCoordinates, method, lookups: null)
    {
        _device = new DeviceRulebook(deviceOutIn);
        _pairCount = pairCount;
    }

    private KernelMap(
        ConvGeometry geometry, SpatialShape inputShape, SpatialShape outputShape, int batchSize,
        int inputCount, int[] outputCoordinates, KernelMapMethod method, long? lookups)
    {
        Method = method;
        Lookups = lookups;
        Geometry = geometry;
        InputShape = inputShape;
        OutputShape = outputShape;
        BatchSize = batchSize;
        InputCount = inputCount;
        OutputCoordinates = outputCoordinates;
    }

    /// <summary>How the builder found the map.</summary>
    public KernelMapMethod Method { get; }

    /// <summary>
    /// The builder's lookups, counted as <see cref="Method"/> defines them (key compares, hash slots probed, pairs
    /// sorted), or null where it does not count them.
    /// </summary>
    public long? Lookups { get; }

    /// <summary>The conv this map serves.</summary>
    public ConvGeometry Geometry { get; }

    /// <summary>Spatial shape of the input grid.</summary>
    public SpatialShape InputShape { get; }

    /// <summary>Spatial shape of the output grid.</summary>
    public SpatialShape OutputShape { get; }

    /// <summary>Batch size of input and output.</summary>
    public int BatchSize { get; }

    /// <summary>Number of input rows the map indexes.</summary>
    public int InputCount { get; }

    /// <summary>Number of output rows (M).</summary>
    public int OutputCount => OutputCoordinates.Length / 4;

    /// <summary>K, the number of kernel offsets.</summary>
    public int KernelVolume => Geometry.KernelVolume;

    /// <summary>int32 [M, 4] (batch, z, y, x) of the output sites.</summary>
    public int[] OutputCoordinates { get; }

    /// <summary>
    /// int32 [M, K]: input row per (output row, offset), -1 when absent. A map built on an accelerator keeps its rulebook
    /// there and copies it to the host on the first call (a device-resident network run never needs it here).
    /// </summary>
    public int[] OutIn
    {
        get
        {
            if (Volatile.Read(ref _outIn) is { } outIn)
            {
                return outIn;
            }
            lock (_device!)
            {
                return _outIn ??= _device.Download();
            }
        }
    }

    private int[]? _outIn;

    // The rulebook as the device builder left it in the accelerator's memory; null for a map built on the host.
    private readonly DeviceRulebook? _device;

    /// <summary>Whether the host copy of <see cref="OutIn"/> exists (always for host-built maps; for device-built ones once asked for).</summary>
    internal bool HasHostRulebook => Volatile.Read(ref _outIn) is not null;

    /// <summary>
    /// Checks that this map's output features with <paramref name="channels"/> channels fit one array (an
    /// <see cref="InvalidDataException"/> naming the sizes otherwise), before anything is allocated or run.
    /// </summary>
    public void EnsureOutputFits(int channels) => SiteChecks.EnsureFeaturesFit(OutputCount, channels);

    /// <summary>
    /// The rulebook in <paramref name="accelerator"/>'s memory where a device builder made it there (the map keeps it for
    /// every run; [M, K] entries), or null: the caller uploads <see cref="OutIn"/>.
    /// </summary>
    internal ILGPU.ArrayView<int>? DeviceOutIn(ILGPU.Runtime.Accelerator accelerator) =>
        _device is { } device && device.Buffer.Accelerator == accelerator ? device.Buffer.View : null;

    /// <summary>
    /// A device-built rulebook: the map owns the buffer. It tells the garbage collector how much device memory it holds, so
    /// that maps dropped frame after frame are collected — and their buffers freed by ILGPU — before the device fills up.
    /// </summary>
    private sealed class DeviceRulebook
    {
        private readonly long _bytes;

        public DeviceRulebook(ILGPU.Runtime.MemoryBuffer1D<int, ILGPU.Stride1D.Dense> buffer)
        {
            Buffer = buffer;
            _bytes = Math.Max(1, buffer.LengthInBytes);
            GC.AddMemoryPressure(_bytes);
        }

        public ILGPU.Runtime.MemoryBuffer1D<int, ILGPU.Stride1D.Dense> Buffer { get; }

        public int[] Download() => ILGPU.Runtime.ArrayViewExtensions.GetAsArray1D(Buffer);

        ~DeviceRulebook() => GC.RemoveMemoryPressure(_bytes);
    }

    /// <summary>Number of (output, offset) pairs with an input: the work of the implicit GEMM in rows.</summary>
    public long PairCount => _pairCount ??= CountPairs(OutIn);

    private long? _pairCount; // counted once: run summaries and the tuner's occupancy statistics ask repeatedly

    private static long CountPairs(int[] outIn)
    {
        long pairs = 0;
        foreach (int row in outIn)
        {
            pairs += row >= 0 ? 1 : 0;
        }
        return pairs;
    }

    /// <summary>
    /// The share of (tile, offset) pairs a GPU tile kernel works on when tiles are <paramref name="blockM"/> consecutive
    /// output rows and each tile skips the offsets none of its rows has a neighbour at (the shared-memory kernels do):
    /// 1 means no offset is ever skipped; <see cref="PairCount"/> / (OutputCount · KernelVolume) is the floor that
    /// one-row tiles would reach. 0 for an empty map.
    /// </summary>
    public double TileOffsetOccupancy(int blockM)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockM, 1);
        int k = KernelVolume, tiles = (OutputCount + blockM - 1) / blockM;
        if (tiles == 0)
        {
            return 0;
        }
        long present = 0;
        for (int tile = 0; tile < tiles; tile++)
        {
            int end = Math.Min(OutputCount, (tile + 1) * blockM);
            for (int offset = 0; offset < k; offset++)
            {
                for (int row = tile * blockM; row < end; row++)
                {
                    if (OutIn[(long)row * k + offset] >= 0)
                    {
                        present++;
                        break;
                    }
                }
            }
        }
        return present / ((double)tiles * k);
    }

    /// <summary>
    /// The same map restricted to the output rows <paramref name="rows"/> (for tuning or calibrating on a sample of a big
    /// input): the inputs stay the same, so the sub-map runs on the full input tensor.
    /// </summary>
    public KernelMap SelectRows(IReadOnlyList<int> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        int k = KernelVolume;
        var coordinates = new int[rows.Count * 4];
        var outIn = new int[rows.Count * k];
        for (int i = 0; i < rows.Count; i++)
        {
            if ((uint)rows[i] >= (uint)OutputCount)
            {
                throw new ArgumentOutOfRangeException(nameof(rows), rows[i], $"row outside [0, {OutputCount})");
            }
            Array.Copy(OutputCoordinates, rows[i] * 4, coordinates, i * 4, 4);
            Array.Copy(OutIn, rows[i] * k, outIn, i * k, k);
        }
        return new KernelMap(Geometry, InputShape, OutputShape, BatchSize, InputCount, coordinates, outIn, Method, lookups: null);
    }

    /// <summary>
    /// At most <paramref name="maxRows"/> output rows (all rows when there are fewer), in evenly spaced runs of
    /// <paramref name="runLength"/> consecutive rows. Runs keep what consecutive rows share in the full map — nearby sites,
    /// so the kernel offsets a register tile computes and the inputs it gathers — which is what a kernel is timed on when
    /// tuning; single rows (run length 1) spread a sample over the whole input, as calibration wants.
    /// </summary>
    public int[] SampleRows(int maxRows, int runLength = 1)
    {
        if (maxRows <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxRows), maxRows, "the sample needs at least one row");
        }
        if (runLength <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(runLength), runLength, "a run needs at least one row");
        }
        int count = Math.Min(maxRows, OutputCount);
        int length = Math.Min(runLength, count);
        int runs = length == 0 ? 0 : count / length;
        // Run i starts at ⌊i · M / runs⌋; runs · length ≤ M, so a run ends before the next one starts.
        var rows = new int[runs * length];
        for (int run = 0; run < runs; run++)
        {
            int start = (int)((long)run * OutputCount / runs);
            for (int i = 0; i < length; i++)
            {
                rows[run * length + i] = start + i;
            }
        }
        return rows;
    }

    /// <summary>
    /// The map of the inverse conv (spconv's SparseInverseConv3d with this conv's indice key): outputs are this conv's
    /// input sites, and output j reads input i through offset k exactly when this map sends output i to input j via k.
    /// </summary>
    /// <param name="inputCoordinates">This conv's input coordinates [InputCount, 4]: the inverse conv's output sites.</param>
    public KernelMap Invert(int[] inputCoordinates)
    {
        ArgumentNullException.ThrowIfNull(inputCoordinates);
        if (Geometry.Kind != ConvKind.Sparse)
        {
            throw new InvalidOperationException($"only a regular sparse conv's map can be inverted; this map is {Geometry.Kind}");
        }
        if (inputCoordinates.Length != InputCount * 4)
        {
            throw new ArgumentException(
                $"the inverse conv's output sites must be this conv's {InputCount} input sites; got {inputCoordinates.Length / 4} rows",
                nameof(inputCoordinates));
        }
        int k = KernelVolume;
        var inverse = new int[InputCount * k];
        Array.Fill(inverse, -1);
        for (int output = 0; output < OutputCount; output++)
        {
            for (int offset = 0; offset < k; offset++)
            {
                int input = OutIn[output * k + offset];
                if (input >= 0)
                {
                    // Unique: for a fixed input site and offset, output = (input + padding - k * dilation) / stride.
                    inverse[input * k + offset] = output;
                }
            }
        }
        return new KernelMap(
            Geometry with { Kind = ConvKind.Inverse }, OutputShape, InputShape, BatchSize, OutputCount,
            inputCoordinates, inverse, KernelMapMethod.Inverted, (long)OutputCount * k);
    }
}
