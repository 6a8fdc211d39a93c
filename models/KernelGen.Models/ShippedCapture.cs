using KernelGen.Points;

namespace KernelGen.Models;

/// <summary>
/// The real scan that ships with KernelGen: a Velodyne HDL-32E capture (data/, BSD-3-Clause, MRPT project data) embedded
/// here, so that the CLI and the samples default to the same real data without a path. Its first complete revolution is
/// the default input and held-out scan; the complete revolutions after it are what the synthetic weights' BatchNorm
/// statistics and the main job's calibration are measured on, so the default evaluation never sees its own calibration.
/// </summary>
public static class ShippedCapture
{
    public const string FileName = "sample_velodyne_hdl32.pcap";

    /// <summary>The raw capture.</summary>
    public static byte[] Bytes()
    {
        using var stream = typeof(ShippedCapture).Assembly.GetManifestResourceStream("KernelGen.Models." + FileName)
            ?? throw new InvalidOperationException($"the shipped capture {FileName} is missing from the models assembly");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>The complete revolutions in order, named <c>sample_velodyne_hdl32.pcap#N</c>; at least two (one held out, one to calibrate on).</summary>
    public static IReadOnlyList<(string Name, PointCloud Cloud)> Revolutions()
    {
        var complete = VelodynePcapReader.Decode(Bytes(), FileName).Revolutions.Where(r => r.IsComplete).ToList();
        return complete.Count >= 2 ? complete.Select(r => ($"{FileName}#{r.Index}", r.Points)).ToList()
            : throw new InvalidOperationException($"the shipped capture {FileName} needs two complete revolutions: one held out, one to calibrate on");
    }

    /// <summary>The first complete revolution: the default input.</summary>
    public static PointCloud HeldOut() => Revolutions()[0].Cloud;

    /// <summary>The complete revolutions after the first.</summary>
    public static IReadOnlyList<PointCloud> AfterHeldOut() => Revolutions().Skip(1).Select(r => r.Cloud).ToList();

    /// <summary>
    /// The default held-out scan as a network reads it: the first complete revolution, or, with <paramref name="sweeps"/>
    /// (a network whose input has a time channel, as CenterPoint's nuScenes model), that revolution with the capture's
    /// earlier revolution as a sweep and its time lag.
    /// </summary>
    public static (string Name, PointCloud Cloud) HeldOutScan(bool sweeps)
    {
        var capture = VelodynePcapReader.Decode(Bytes(), FileName);
        var first = capture.FirstCompleteRevolution();
        return sweeps ? ($"{FileName}#{first.Index} + earlier sweeps", capture.Sweeps(first.Index)) : ($"{FileName}#{first.Index}", first.Points);
    }

    /// <summary>
    /// The default calibration scans: the complete revolutions after the first — with <paramref name="sweeps"/>, each with
    /// the capture's earlier revolutions as sweeps, the held-out (first complete) revolution never among them, so the
    /// calibration never sees the held-out scan's points.
    /// </summary>
    public static IReadOnlyList<(string Name, PointCloud Cloud)> CalibrationScans(bool sweeps)
    {
        var capture = VelodynePcapReader.Decode(Bytes(), FileName);
        var complete = capture.Revolutions.Where(r => r.IsComplete).ToList();
        int heldOut = complete[0].Index;
        return complete.Skip(1).Select(r => sweeps
            ? ($"{FileName}#{r.Index} + earlier sweeps but #{heldOut}", capture.Sweeps(r.Index, skip: earlier => earlier.Index == heldOut))
            : ($"{FileName}#{r.Index}", r.Points)).ToList();
    }
}
