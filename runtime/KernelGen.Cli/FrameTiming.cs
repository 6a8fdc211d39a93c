using System.Diagnostics;
using KernelGen.Networks;
using KernelGen.Tensors;

namespace KernelGen.Cli;

/// <summary>
/// One frame's phases as a user waits for them — voxelize, kernel maps, network — in wall-clock milliseconds, with the
/// bytes each of the first two allocated (all threads) and the garbage-collection pauses inside each phase (a pause
/// lands on whichever phase's allocation crosses the collector's budget, so it is reported apart from the work).
/// </summary>
internal sealed record FrameTiming(
    double VoxelizeMs, long VoxelizeBytes, double MapsMs, long MapsBytes, double NetworkMs,
    double VoxelizeGcMs = 0, double MapsGcMs = 0, double NetworkGcMs = 0)
{
    public double FrameMs => VoxelizeMs + MapsMs + NetworkMs;

    /// <summary>Times one frame through the three phases, returning their results for the summary.</summary>
    public static (FrameTiming Timing, SparseTensor Voxels, NetworkPlan Plan, NetworkRun Run) Measure(
        Func<SparseTensor> voxelize, Func<SparseTensor, NetworkPlan> plan, Func<NetworkPlan, NetworkRun> run)
    {
        long allocated = GC.GetTotalAllocatedBytes(precise: true), start = Stopwatch.GetTimestamp();
        var paused = GC.GetTotalPauseDuration();
        var voxels = voxelize();
        long afterVoxels = Stopwatch.GetTimestamp(), allocatedVoxels = GC.GetTotalAllocatedBytes(precise: true);
        var pausedVoxels = GC.GetTotalPauseDuration();
        var planned = plan(voxels);
        long afterMaps = Stopwatch.GetTimestamp(), allocatedMaps = GC.GetTotalAllocatedBytes(precise: true);
        var pausedMaps = GC.GetTotalPauseDuration();
        var result = run(planned);
        long end = Stopwatch.GetTimestamp();
        var pausedEnd = GC.GetTotalPauseDuration();
        var timing = new FrameTiming(
            Stopwatch.GetElapsedTime(start, afterVoxels).TotalMilliseconds, allocatedVoxels - allocated,
            Stopwatch.GetElapsedTime(afterVoxels, afterMaps).TotalMilliseconds, allocatedMaps - allocatedVoxels,
            Stopwatch.GetElapsedTime(afterMaps, end).TotalMilliseconds,
            (pausedVoxels - paused).TotalMilliseconds, (pausedMaps - pausedVoxels).TotalMilliseconds, (pausedEnd - pausedMaps).TotalMilliseconds);
        return (timing, voxels, planned, result);
    }

    /// <summary>Each phase's median over <paramref name="frames"/> (phase by phase, so their sum can differ from <see cref="MedianFrameMs"/>).</summary>
    public static FrameTiming Median(IReadOnlyList<FrameTiming> frames) => new FrameTiming(
            Middle(frames.Select(f => f.VoxelizeMs)), (long)Middle(frames.Select(f => (double)f.VoxelizeBytes)),
            Middle(frames.Select(f => f.MapsMs)), (long)Middle(frames.Select(f => (double)f.MapsBytes)),
            Middle(frames.Select(f => f.NetworkMs)),
            Middle(frames.Select(f => f.VoxelizeGcMs)), Middle(frames.Select(f => f.MapsGcMs)), Middle(frames.Select(f => f.NetworkGcMs)));

    /// <summary>The garbage-collection pauses of the whole frame.</summary>
    public double GcMs => VoxelizeGcMs + MapsGcMs + NetworkGcMs;

    /// <summary>The median of the whole frames' times.</summary>
    public static double MedianFrameMs(IReadOnlyList<FrameTiming> frames) => Middle(frames.Select(f => f.FrameMs));

    private static double Middle(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        ArgumentOutOfRangeException.ThrowIfZero(sorted.Length);
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
