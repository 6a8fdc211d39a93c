using KernelGen.Points;
using KernelGen.Tests.Support;

namespace KernelGen.Tests.Points;

/// <summary>The scan format comes from the extension and is checked by magic number; a mismatch names what was found.</summary>
public sealed class ScanReaderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("kernelgen-scan-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void Each_format_reads_under_its_own_extension()
    {
        var points = new float[] { 1, 2, 0.5f, 0.1f, 3, -1, 0, 0.9f };
        var raw = System.Runtime.InteropServices.MemoryMarshal.AsBytes(points.AsSpan()).ToArray();
        Assert.Equal(2, ScanReader.Read(Write("scan.bin", raw)).Count);
        var gz = new MemoryStream();
        using (var zip = new System.IO.Compression.GZipStream(gz, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            zip.Write(raw);
        }
        Assert.Equal(2, ScanReader.Read(Write("scan.bin.gz", gz.ToArray())).Count);
        Assert.True(ScanReader.Read(SharedData.ShippedCapture()).Count > 10_000);
    }

    [Theory]
    [InlineData("zeros.pcap", "00000000", "'zeros.pcap': its first bytes are 00000000, not a libpcap capture (.pcap)")]
    [InlineData("capture.pcap", "0A0D0D0A", "'capture.pcap': it is a pcapng capture (convert it: editcap -F libpcap in.pcapng out.pcap), not a libpcap capture")]
    [InlineData("capture.pcapng", "0A0D0D0A", "pcapng captures are not read; convert it to libpcap first")]
    [InlineData("scan.bin.gz", "00000000", "'scan.bin.gz': its first bytes are 00000000, not gzip-compressed as its .gz extension says")]
    [InlineData("scan.bin", "1F8B0800", "'scan.bin': it is gzip-compressed, not a raw KITTI .bin scan")]
    [InlineData("scan.bin", "D4C3B2A1", "'scan.bin': it is a libpcap capture, not a raw KITTI .bin scan")]
    [InlineData("scan.ply", "00000000", "unknown scan format '.ply'; give a KITTI .bin or .bin.gz, or a Velodyne .pcap")]
    [InlineData("empty.pcap", "", "'empty.pcap': the file is empty, not a libpcap capture")]
    public void A_file_that_is_not_what_its_name_says_is_an_error_naming_what_it_is(string name, string firstBytes, string expected)
    {
        var bytes = Convert.FromHexString(firstBytes).Concat(new byte[firstBytes.Length == 0 ? 0 : 6250]).ToArray();
        var e = Assert.Throws<InvalidDataException>(() => ScanReader.Read(Write(name, bytes)));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_directory_is_not_a_scan() =>
        Assert.Contains("it is a directory, not a scan file", Assert.Throws<IOException>(() => ScanReader.Read(_folder)).Message);
}
