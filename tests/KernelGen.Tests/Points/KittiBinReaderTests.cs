using System.IO.Compression;
using KernelGen.Points;
using KernelGen.Tests.Support;

namespace KernelGen.Tests.Points;

public sealed class KittiBinReaderTests
{
    [Fact]
    public void Shared_kitti_frame_has_its_documented_points()
    {
        var cloud = KittiBinReader.Read(SharedData.RequireFile(SharedData.KittiFrame));
        Assert.Equal(126_596, cloud.Count);
        for (int p = 0; p < cloud.Count; p++)
        {
            Assert.InRange(cloud.Xyzi[p * 4 + 3], 0f, 1f); // reflectance
            Assert.InRange(cloud.Xyzi[p * 4 + 2], -10f, 5f); // HDL-64E about 1.73 m above the road
        }
        Assert.InRange(Enumerable.Range(0, cloud.Count).Average(p => (double)cloud.Xyzi[p * 4 + 2]), -2.0, 0.0);
    }

    [Fact]
    public void Raw_and_gzip_files_read_the_same_points()
    {
        var random = new RandomSparse();
        var values = random.Normal(4 * 37);
        for (int i = 3; i < values.Length; i += 4)
        {
            values[i] = Math.Abs(values[i]) % 1; // KITTI reflectance is 0–1
        }
        var raw = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, raw, 0, raw.Length);
        using var packed = new MemoryStream();
        using (var gzip = new GZipStream(packed, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(raw);
        }
        Assert.Equal(values, KittiBinReader.Parse(raw, "a.bin").Xyzi);
        Assert.Equal(values, KittiBinReader.Parse(packed.ToArray(), "a.bin.gz").Xyzi);
    }

    [Fact]
    public void Truncated_or_corrupt_files_are_errors()
    {
        Assert.Equal("'t.bin': 20 bytes is not a multiple of 16 (x, y, z, reflectance as float32): truncated or not a KITTI .bin",
            Assert.Throws<InvalidDataException>(() => KittiBinReader.Parse(new byte[20], "t.bin")).Message);
        Assert.Contains("'c.bin.gz': gzip stream is corrupt or truncated",
            Assert.Throws<InvalidDataException>(() => KittiBinReader.Parse([0x1F, 0x8B, 8, 0, 1, 2, 3], "c.bin.gz")).Message);
        var nan = new byte[32];
        BitConverter.GetBytes(float.NaN).CopyTo(nan, 16 + 4);
        Assert.Equal("'n.bin': point 1 has a non-finite value NaN in column y",
            Assert.Throws<InvalidDataException>(() => KittiBinReader.Parse(nan, "n.bin")).Message);
        Assert.Contains("cannot read KITTI scan", Assert.Throws<IOException>(() => KittiBinReader.Read("/nonexistent/scan.bin")).Message);
    }
}
