namespace KernelGen.Points;

/// <summary>
/// Reads one scan from a file of either supported kind, told apart by content: a libpcap capture (Velodyne
/// HDL-32E/VLP-16; its first complete revolution) or a KITTI <c>.bin</c> (optionally gzip-compressed).
/// </summary>
public static class ScanReader
{
    /// <summary>Reads the scan at <paramref name="path"/>.</summary>
    public static PointCloud Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot read scan '{path}': {e.Message}", e);
        }
        return Parse(bytes, Path.GetFileName(path));
    }

    /// <summary>Parses scan bytes; <paramref name="name"/> names the source.</summary>
    public static PointCloud Parse(byte[] bytes, string name) =>
        IsPcap(bytes)
            ? VelodynePcapReader.Decode(bytes, name).FirstCompleteRevolution().Points
            : KittiBinReader.Parse(bytes, name);

    private static bool IsPcap(byte[] bytes) =>
        bytes.Length >= 4 && BitConverter.ToUInt32(bytes, 0) is 0xA1B2C3D4 or 0xA1B23C4D or 0xD4C3B2A1 or 0x4D3CB2A1;
}
