using System.Buffers.Binary;

namespace KernelGen.Points;

/// <summary>
/// Decodes Velodyne HDL-32E and VLP-16 data packets (UDP port 2368, 1206-byte payload: 12 blocks of flag 0xFFEE,
/// azimuth in 0.01°, 32 × (distance uint16, intensity uint8); then timestamp, return mode and product ID) from a pcap
/// capture into points, split into revolutions where the azimuth wraps.
/// </summary>
/// <remarks>
/// Geometry follows Velodyne's manuals with the calibration's per-laser vertical angle, rotational correction and
/// distance/offset corrections; points come out in KITTI's frame (x forward, y left, z up) with the raw 0–255
/// intensity. VLP-16 blocks hold two firings; the second firing's azimuth is interpolated halfway to the next block.
/// </remarks>
public static class VelodynePcapReader
{
    /// <summary>Destination port of Velodyne data packets.</summary>
    public const int DataPort = 2368;

    private const int PayloadBytes = 1206;
    private const int Blocks = 12;
    private const int BlockBytes = 100;
    private const int ReturnsPerBlock = 32;

    /// <summary>Reads and decodes the capture at <paramref name="path"/>.</summary>
    /// <param name="path">A libpcap file.</param>
    /// <param name="calibration">Per-laser calibration; the model's default when null.</param>
    /// <param name="model">Sensor model; read from the packets' product ID when null.</param>
    public static VelodyneCapture Read(string path, VelodyneCalibration? calibration = null, VelodyneModel? model = null) =>
        Decode(ReadCapture(path), Path.GetFileName(path), calibration, model);

    private static byte[] ReadCapture(string path)
    {
        KernelGen.IO.OutputPaths.RequireRegularFile(path, "capture");
        return File.ReadAllBytes(path);
    }

    /// <summary>Decodes capture bytes; <paramref name="name"/> names the source in errors and point sources.</summary>
    public static VelodyneCapture Decode(byte[] capture, string name, VelodyneCalibration? calibration = null, VelodyneModel? model = null)
    {
        var udp = PcapReader.ReadUdp(capture, name);
        var data = udp.Where(p => p.DestinationPort == DataPort).ToList();
        if (data.Count == 0)
        {
            throw new InvalidDataException($"'{name}': no UDP packets on port {DataPort}; not a Velodyne capture");
        }
        for (int i = 0; i < data.Count; i++)
        {
            if (data[i].Payload.Length != PayloadBytes)
            {
                throw new InvalidDataException(
                    $"'{name}': data packet {i} has {data[i].Payload.Length} payload bytes, expected {PayloadBytes}");
            }
        }
        var sensor = model ?? DetectModel(data[0].Payload.Span, name);
        calibration ??= VelodyneCalibration.DefaultFor(sensor);
        int lasersPerFiring = sensor == VelodyneModel.Hdl32E ? 32 : 16;
        if (calibration.Lasers.Count < lasersPerFiring)
        {
            throw new InvalidDataException(
                $"'{name}': the calibration has {calibration.Lasers.Count} lasers but a {sensor} fires {lasersPerFiring}");
        }

        var decoder = new SweepDecoder(calibration, lasersPerFiring, name, sensor == VelodyneModel.Hdl32E ? "Velodyne HDL-32E" : "Velodyne VLP-16");
        for (int packet = 0; packet < data.Count; packet++)
        {
            decoder.AddPacket(data[packet].Payload.Span, packet);
        }
        return new VelodyneCapture(sensor, data.Count, udp.Count - data.Count, decoder.Finish());
    }

    private static VelodyneModel DetectModel(ReadOnlySpan<byte> payload, string name) => payload[PayloadBytes - 1] switch
    {
        (byte)VelodyneModel.Hdl32E => VelodyneModel.Hdl32E,
        (byte)VelodyneModel.Vlp16 => VelodyneModel.Vlp16,
        var id => throw new InvalidDataException(
            $"'{name}': product ID 0x{id:x2} is not an HDL-32E (0x21) or VLP-16 (0x22): not a capture of a sensor KernelGen reads (in code, VelodynePcapReader.Read(path, model: …) reads one whose packets misreport the model)"),
    };

    /// <summary>Accumulates firings into revolutions.</summary>
    private sealed class SweepDecoder(VelodyneCalibration calibration, int lasersPerFiring, string name, string sensorName)
    {
        private readonly List<Revolution> _revolutions = [];
        private readonly List<float> _points = [];
        private readonly double[] _sinVertical = calibration.Lasers.Select(l => Math.Sin(l.VerticalDegrees * Math.PI / 180)).ToArray();
        private readonly double[] _cosVertical = calibration.Lasers.Select(l => Math.Cos(l.VerticalDegrees * Math.PI / 180)).ToArray();
        private int _previousAzimuth = -1;
        private int _firings;
        private bool _startedAtWrap;

        public void AddPacket(ReadOnlySpan<byte> payload, int packet)
        {
            for (int block = 0; block < Blocks; block++)
            {
                var data = payload.Slice(block * BlockBytes, BlockBytes);
                ushort flag = BinaryPrimitives.ReadUInt16LittleEndian(data);
                if (flag != 0xEEFF)
                {
                    throw new InvalidDataException($"'{name}': packet {packet} block {block} has flag 0x{flag:x4}, expected 0xeeff");
                }
                int azimuth = BinaryPrimitives.ReadUInt16LittleEndian(data[2..]);
                if (azimuth >= 36000)
                {
                    throw new InvalidDataException($"'{name}': packet {packet} block {block} has azimuth {azimuth / 100.0}°, outside [0, 360)");
                }
                // Azimuth gap to the next block (the previous gap for the last block), for VLP-16's second firing.
                int neighbour = block < Blocks - 1 ? block + 1 : block - 1;
                int neighbourAzimuth = BinaryPrimitives.ReadUInt16LittleEndian(payload[(neighbour * BlockBytes + 2)..]);
                int gap = ((block < Blocks - 1 ? neighbourAzimuth - azimuth : azimuth - neighbourAzimuth) + 36000) % 36000;

                int firingsPerBlock = ReturnsPerBlock / lasersPerFiring;
                for (int firing = 0; firing < firingsPerBlock; firing++)
                {
                    int firingAzimuth = (azimuth + firing * gap / 2) % 36000;
                    StartFiring(firingAzimuth);
                    for (int laser = 0; laser < lasersPerFiring; laser++)
                    {
                        var ret = data.Slice(4 + (firing * lasersPerFiring + laser) * 3, 3);
                        AddReturn(laser, firingAzimuth, BinaryPrimitives.ReadUInt16LittleEndian(ret), ret[2]);
                    }
                }
            }
        }

        public IReadOnlyList<Revolution> Finish()
        {
            if (_firings > 0)
            {
                Close(isComplete: false);
            }
            return _revolutions;
        }

        private void StartFiring(int azimuth)
        {
            // A wrap is a drop of more than half a turn (359.9° → 0.1°); small jitter or dual returns never cause one.
            if (_previousAzimuth >= 0 && azimuth + 18000 < _previousAzimuth)
            {
                Close(isComplete: _startedAtWrap);
                _startedAtWrap = true;
            }
            _previousAzimuth = azimuth;
            _firings++;
        }

        private void AddReturn(int laser, int azimuth, int rawDistance, byte intensity)
        {
            if (rawDistance == 0)
            {
                return; // no return
            }
            var cal = calibration.Lasers[laser];
            double distance = rawDistance * calibration.DistanceUnit + cal.DistanceCorrection;
            double rotation = (azimuth / 100.0 - cal.RotationalDegrees) * Math.PI / 180;
            double sinRot = Math.Sin(rotation), cosRot = Math.Cos(rotation);
            double horizontal = distance * _cosVertical[laser] - cal.VerticalOffset * _sinVertical[laser];
            double sensorX = horizontal * sinRot - cal.HorizontalOffset * cosRot; // Velodyne frame: y forward, x right
            double sensorY = horizontal * cosRot + cal.HorizontalOffset * sinRot;
            double z = distance * _sinVertical[laser] + cal.VerticalOffset * _cosVertical[laser];
            _points.Add((float)sensorY);   // x forward
            _points.Add((float)-sensorX);  // y left
            _points.Add((float)z);
            _points.Add(intensity);
        }

        private void Close(bool isComplete)
        {
            int index = _revolutions.Count;
            _revolutions.Add(new Revolution(
                index, new PointCloud(_points.ToArray(), $"{name} revolution {index}", sensorName, intensityMax: 255), isComplete, _firings));
            _points.Clear();
            _firings = 0;
        }
    }
}
