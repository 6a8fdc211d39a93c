using KernelGen.Points;
using KernelGen.Tests.Support;

namespace KernelGen.Tests.Points;

/// <summary>Decoding checked against the documented facts of the shared captures (../shared/data/lidar/README.md).</summary>
public sealed class VelodynePcapReaderTests
{
    [Fact]
    public void Hdl32e_capture_has_its_packets_revolutions_and_sane_geometry()
    {
        var capture = VelodynePcapReader.Read(SharedData.ShippedCapture());
        Assert.Equal(VelodyneModel.Hdl32E, capture.Model);
        Assert.Equal(500, capture.DataPackets);
        Assert.Equal(0, capture.OtherPackets);
        // 6,000 firings at 2,400 per turn: a cut sweep, two complete ones, a cut sweep.
        Assert.Equal([false, true, true, false], capture.Revolutions.Select(r => r.IsComplete));
        // 500 packets × 12 blocks = 6000 firings, all accounted for.
        Assert.Equal(6000, capture.Revolutions.Sum(r => r.Firings));
        foreach (var revolution in capture.Revolutions.Where(r => r.IsComplete))
        {
            // One revolution is about 53k returns (2,400 firings × 32 lasers, minus misses).
            Assert.InRange(revolution.Points.Count, 45_000, 62_000);
            Assert.InRange(revolution.Firings, 2_300, 2_500); // 0.15° azimuth steps in this capture
            AssertSaneGeometry(revolution.Points, minElevation: -30.67, maxElevation: 10.67, mostlyDownward: true);
            AssertCoversFullCircle(revolution.Points);
        }
    }

    [Fact]
    public void Vlp16_capture_skips_gps_packets_and_decodes_two_firings_per_block()
    {
        var capture = VelodynePcapReader.Read(SharedData.RequireFile(SharedData.Vlp16Capture));
        Assert.Equal(VelodyneModel.Vlp16, capture.Model);
        Assert.Equal(293, capture.DataPackets);
        Assert.Equal(57, capture.OtherPackets);
        Assert.Equal(293 * 12 * 2, capture.Revolutions.Sum(r => r.Firings));
        Assert.InRange(capture.Revolutions.Count(r => r.IsComplete), 2, 4); // about 4 revolutions
        foreach (var revolution in capture.Revolutions.Where(r => r.IsComplete))
        {
            Assert.InRange(revolution.Points.Count, 10_000, 30_000); // 16 lasers × ~1,800 firings, minus misses
            AssertSaneGeometry(revolution.Points, minElevation: -15, maxElevation: 15, mostlyDownward: false);
            AssertCoversFullCircle(revolution.Points);
        }
    }

    [Fact]
    public void Shipped_capture_is_the_shared_one()
    {
        var shared = SharedData.LidarFolder();
        Assert.SkipWhen(shared is null, "../shared/data/lidar is absent");
        Assert.Equal(File.ReadAllBytes(Path.Combine(shared!, SharedData.Hdl32Capture)), File.ReadAllBytes(SharedData.ShippedCapture()));
    }

    [Fact]
    public void Default_calibrations_hold_the_datasheet_angles()
    {
        var hdl = VelodyneCalibration.DefaultHdl32E;
        Assert.Equal(0.002, hdl.DistanceUnit, 12);
        Assert.Equal(-30.67, hdl.Lasers[0].VerticalDegrees, 6);
        Assert.Equal(10.67, hdl.Lasers[31].VerticalDegrees, 6);
        var vlp = VelodyneCalibration.DefaultVlp16;
        Assert.Equal(-15, vlp.Lasers[0].VerticalDegrees, 6);
        Assert.Equal(15, vlp.Lasers[15].VerticalDegrees, 6);
    }

    [Fact]
    public void Truncated_capture_is_an_error()
    {
        var bytes = File.ReadAllBytes(SharedData.ShippedCapture());
        var cut = bytes.AsSpan(0, 24 + 16 + 600).ToArray();
        var e = Assert.Throws<InvalidDataException>(() => VelodynePcapReader.Decode(cut, "cut.pcap"));
        Assert.Equal("'cut.pcap': record 0 claims 1248 bytes but only 600 remain (truncated capture)", e.Message);
        var headerOnly = bytes.AsSpan(0, 20).ToArray();
        Assert.Contains("too short for a pcap header", Assert.Throws<InvalidDataException>(() => VelodynePcapReader.Decode(headerOnly, "h.pcap")).Message);
    }

    [Fact]
    public void Foreign_files_are_errors()
    {
        var e = Assert.Throws<InvalidDataException>(() => VelodynePcapReader.Decode(new byte[100], "zeros.bin"));
        Assert.Equal("'zeros.bin': magic 0x00000000 is not a classic pcap file (pcapng and other formats are not supported)", e.Message);
        var noVelodyne = SyntheticPcap(port: 1234, payload: new byte[1206]);
        Assert.Equal("'other.pcap': no UDP packets on port 2368; not a Velodyne capture",
            Assert.Throws<InvalidDataException>(() => VelodynePcapReader.Decode(noVelodyne, "other.pcap")).Message);
        var shortPayload = SyntheticPcap(port: 2368, payload: new byte[512]);
        Assert.Equal("'short.pcap': data packet 0 has 512 payload bytes, expected 1206",
            Assert.Throws<InvalidDataException>(() => VelodynePcapReader.Decode(shortPayload, "short.pcap")).Message);
        var badFlag = SyntheticPcap(port: 2368, payload: new byte[1206]);
        badFlag[^1] = 0x21; // claims to be an HDL-32E, but the blocks have no 0xFFEE flag
        Assert.Equal("'flag.pcap': packet 0 block 0 has flag 0x0000, expected 0xeeff",
            Assert.Throws<InvalidDataException>(() => VelodynePcapReader.Decode(badFlag, "flag.pcap")).Message);
        var unknown = SyntheticPcap(port: 2368, payload: new byte[1206]);
        unknown[^1] = 0x28;
        Assert.Contains("product ID 0x28 is not an HDL-32E (0x21) or VLP-16 (0x22)",
            Assert.Throws<InvalidDataException>(() => VelodynePcapReader.Decode(unknown, "u.pcap")).Message);
    }

    [Fact]
    public void Bad_calibration_xml_is_an_error()
    {
        Assert.Contains("not a Velodyne calibration XML", Assert.Throws<InvalidDataException>(() => VelodyneCalibration.Parse("<oops", "c.xml")).Message);
        Assert.Contains("no <distLSB_> element", Assert.Throws<InvalidDataException>(() => VelodyneCalibration.Parse("<a/>", "c.xml")).Message);
        Assert.Contains("<vertCorrection_> value 'x' is not a number", Assert.Throws<InvalidDataException>(() => VelodyneCalibration.Parse(
            "<DB><distLSB_>0.2</distLSB_><px><id_>0</id_><rotCorrection_>0</rotCorrection_><vertCorrection_>x</vertCorrection_></px></DB>", "c.xml")).Message);
    }

    /// <summary>A pcap with one Ethernet/IPv4/UDP packet; the payload's last byte is returned for tweaking.</summary>
    private static byte[] SyntheticPcap(int port, byte[] payload)
    {
        var frame = new byte[14 + 20 + 8 + payload.Length];
        frame[12] = 0x08; // IPv4
        frame[14] = 0x45; // version 4, 20-byte header
        frame[14 + 9] = 17; // UDP
        frame[34 + 2] = (byte)(port >> 8);
        frame[34 + 3] = (byte)port;
        int udpLength = 8 + payload.Length;
        frame[34 + 4] = (byte)(udpLength >> 8);
        frame[34 + 5] = (byte)udpLength;
        payload.CopyTo(frame, 42);
        var file = new byte[24 + 16 + frame.Length];
        BitConverter.GetBytes(0xA1B2C3D4).CopyTo(file, 0);
        BitConverter.GetBytes((ushort)2).CopyTo(file, 4);
        BitConverter.GetBytes((ushort)4).CopyTo(file, 6);
        BitConverter.GetBytes(65535u).CopyTo(file, 16);
        BitConverter.GetBytes(1u).CopyTo(file, 20);
        BitConverter.GetBytes((uint)frame.Length).CopyTo(file, 24 + 8);
        BitConverter.GetBytes((uint)frame.Length).CopyTo(file, 24 + 12);
        frame.CopyTo(file, 40);
        return file;
    }

    private static void AssertSaneGeometry(PointCloud cloud, double minElevation, double maxElevation, bool mostlyDownward)
    {
        for (int p = 0; p < cloud.Count; p++)
        {
            double x = cloud.Xyzi[p * 4], y = cloud.Xyzi[p * 4 + 1], z = cloud.Xyzi[p * 4 + 2];
            double range = Math.Sqrt(x * x + y * y + z * z);
            Assert.InRange(range, 0.001, 131.1); // 16-bit distance at 2 mm
            double elevation = Math.Atan2(z, Math.Sqrt(x * x + y * y)) * 180 / Math.PI;
            Assert.InRange(elevation, minElevation - 0.01, maxElevation + 0.01);
            Assert.InRange(cloud.Xyzi[p * 4 + 3], 0, 255);
        }
        int below = Enumerable.Range(0, cloud.Count).Count(p => cloud.Xyzi[p * 4 + 2] < 0);
        if (mostlyDownward)
        {
            // 22 of the HDL-32E's 32 lasers point down and the ground is close: most returns lie below the sensor.
            Assert.True(below > cloud.Count / 2, $"{below} of {cloud.Count} points below the sensor");
        }
        else
        {
            Assert.InRange(below, 1, cloud.Count - 1);
        }
    }

    private static void AssertCoversFullCircle(PointCloud cloud)
    {
        var sectors = new bool[36];
        for (int p = 0; p < cloud.Count; p++)
        {
            double azimuth = Math.Atan2(cloud.Xyzi[p * 4 + 1], cloud.Xyzi[p * 4]) * 180 / Math.PI + 180;
            sectors[Math.Min(35, (int)(azimuth / 10))] = true;
        }
        // Nearly every 10° sector has returns (a sector may face open sky or be occluded by the mount).
        Assert.True(sectors.Count(s => s) >= 34, $"only {sectors.Count(s => s)} of 36 sectors have returns");
    }
}
