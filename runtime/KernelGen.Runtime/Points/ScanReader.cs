namespace KernelGen.Points;

/// <summary>
/// Reads one scan: a libpcap capture (<c>.pcap</c>: Velodyne HDL-32E/VLP-16, its first complete revolution), a KITTI
/// <c>.bin</c> (<c>.bin.gz</c> gzip-compressed) or nuScenes points (<c>.pcd.bin</c>; CUDA-CenterPoint's aggregated
/// sweeps by <see cref="PointFormat.NuScenesSweeps"/>). The format is the one named, else the one the file's extension
/// says; its magic number and value ranges are checked against it, so a file that is not what it is said to be is an
/// error naming what was found — never read as another format.
/// </summary>
public static class ScanReader
{
    /// <summary>Reads the scan at <paramref name="path"/>.</summary>
    public static PointCloud Read(string path, PointFormat? format = null)
    {
        if (Directory.Exists(path))
        {
            throw new IOException($"cannot read scan '{path}': it is a directory, not a scan file");
        }
        KernelGen.IO.OutputPaths.RequireRegularFile(path, "scan");
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot read scan '{path}': {e.Message}", e);
        }
        string name = Path.GetFileName(path);
        string extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension == ".pcapng")
        {
            throw new InvalidDataException($"'{name}': pcapng captures are not read; convert it to libpcap first (editcap -F libpcap {name} scan.pcap)");
        }
        var chosen = format ?? PointFormats.FromExtension(path);
        switch (chosen)
        {
            case PointFormat.VelodynePcap:
                if (!IsPcap(bytes))
                {
                    throw new InvalidDataException($"'{name}': {Describe(bytes)}, not a libpcap capture (.pcap)");
                }
                return VelodynePcapReader.Decode(bytes, name).FirstCompleteRevolution().Points;
            case PointFormat.Kitti when extension == ".gz":
                if (!IsGzip(bytes))
                {
                    throw new InvalidDataException($"'{name}': {Describe(bytes)}, not gzip-compressed as its .gz extension says");
                }
                return KittiBinReader.Parse(bytes, name);
            case PointFormat.Kitti or PointFormat.NuScenes or PointFormat.NuScenesSweeps or PointFormat.NuScenesSweepsF16:
                var binary = chosen.Value;
                if (IsPcap(bytes) || IsPcapng(bytes) || IsGzip(bytes))
                {
                    throw new InvalidDataException($"'{name}': {Describe(bytes)}, {(binary == PointFormat.Kitti ? "not a raw KITTI .bin scan" : $"not raw {binary} points")}; name it for what it is");
                }
                return binary == PointFormat.Kitti ? KittiBinReader.Parse(bytes, name) : NuScenesBinReader.Parse(bytes, name, binary);
            default:
                throw new InvalidDataException($"'{name}': unknown scan format '{extension}'; give a KITTI .bin or .bin.gz, or a Velodyne .pcap, or a nuScenes .pcd.bin, or name the format ({PointFormats.Names})");
        }
    }

    /// <summary>Parses scan bytes; <paramref name="name"/> names the source.</summary>
    public static PointCloud Parse(byte[] bytes, string name) =>
        IsPcap(bytes)
            ? VelodynePcapReader.Decode(bytes, name).FirstCompleteRevolution().Points
            : KittiBinReader.Parse(bytes, name);

    private static bool IsGzip(byte[] bytes) => bytes.Length >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B;

    private static bool IsPcapng(byte[] bytes) => bytes.Length >= 4 && BitConverter.ToUInt32(bytes, 0) == 0x0A0D0D0A;

    /// <summary>What the first bytes say the file is, for messages.</summary>
    private static string Describe(byte[] bytes) =>
        bytes.Length == 0 ? "the file is empty"
        : IsPcapng(bytes) ? "it is a pcapng capture (convert it: editcap -F libpcap in.pcapng out.pcap)"
        : IsPcap(bytes) ? "it is a libpcap capture"
        : IsGzip(bytes) ? "it is gzip-compressed"
        : $"its first bytes are {Convert.ToHexString(bytes, 0, Math.Min(4, bytes.Length))}";

    private static bool IsPcap(byte[] bytes) =>
        bytes.Length >= 4 && BitConverter.ToUInt32(bytes, 0) is 0xA1B2C3D4 or 0xA1B23C4D or 0xD4C3B2A1 or 0x4D3CB2A1;
}
