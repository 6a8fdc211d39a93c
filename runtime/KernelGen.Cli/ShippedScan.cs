using KernelGen.Points;

namespace KernelGen.Cli;

/// <summary>The Velodyne HDL-32E capture shipped in data/ (BSD-3-Clause), embedded in the CLI.</summary>
internal static class ShippedScan
{
    public const string FileName = "sample_velodyne_hdl32.pcap";

    /// <summary>The raw capture.</summary>
    public static byte[] Bytes()
    {
        using var stream = typeof(ShippedScan).Assembly.GetManifestResourceStream("KernelGen.Cli." + FileName)
            ?? throw new InvalidOperationException($"the shipped scan {FileName} is missing from the kernelgen assembly");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>The capture's first complete revolution.</summary>
    public static PointCloud Read() => VelodynePcapReader.Decode(Bytes(), FileName).FirstCompleteRevolution().Points;

    /// <summary>The complete revolutions after the first: what the synthetic weights' BatchNorm statistics are measured on.</summary>
    public static IReadOnlyList<PointCloud> WeightsData() =>
        VelodynePcapReader.Decode(Bytes(), FileName).Revolutions.Where(r => r.IsComplete).Skip(1).Select(r => r.Points).ToList() is { Count: > 0 } clouds
            ? clouds : throw new InvalidOperationException($"the shipped capture {FileName} has no complete revolution after the first");
}
