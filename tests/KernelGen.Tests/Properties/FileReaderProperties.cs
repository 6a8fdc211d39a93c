using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using CsCheck;
using KernelGen.IO;
using KernelGen.Points;
using KernelGen.Tests.Support;

namespace KernelGen.Tests.Properties;

/// <summary>
/// Every file reader on generated malformed input — damaged valid files (truncated, bytes changed, inserted, appended)
/// and generated headers with huge, negative or wrong fields — either reads exactly what the file holds or throws
/// <see cref="InvalidDataException"/> with a one-line message. Never another exception, a hang, or a wrong answer.
/// </summary>
public sealed class FileReaderProperties
{
    private const int Cases = 1500;

    // ---- .npy ----

    private static byte[] NpyBytes(string descr, string fortran, string shape, byte[] data, int major = 1)
    {
        var dict = Encoding.Latin1.GetBytes($"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape}, }}\n");
        var file = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)major, 0 };
        if (major == 1)
        {
            file.AddRange(BitConverter.GetBytes((ushort)dict.Length));
        }
        else
        {
            file.AddRange(BitConverter.GetBytes((uint)dict.Length));
        }
        file.AddRange(dict);
        file.AddRange(data);
        return file.ToArray();
    }

    private static readonly Gen<string> ShapeEntry = Gen.OneOf(
        Gen.Int[0, 6].Select(d => d.ToString()),
        Gen.Int[-3, -1].Select(d => d.ToString()),
        Gen.Long[int.MaxValue - 2L, long.MaxValue].Select(d => d.ToString()),
        Gen.Const("65536"), Gen.Const("4294967296"), Gen.Const("2L"), Gen.Const("x"), Gen.Const(""));

    private static readonly Gen<string> ShapeText = ShapeEntry.Array[0, 4].Select(dims => dims.Length == 1 ? $"({dims[0]},)" : $"({string.Join(", ", dims)})");

    [Fact]
    public void Npy_reads_generated_headers_exactly_or_refuses_them()
    {
        var gen = Gen.Select(
            Gen.OneOf("<f4", "<f8", "<i4", "<i8", ">f4", "|u1", "<f2", "f4"),
            Gen.OneOf("False", "True"),
            ShapeText,
            Gen.Byte.Array[0, 200],
            Gen.OneOf(1, 2, 3, 4));
        Fuzz.Check(gen, t =>
        {
            var (descr, fortran, shape, data, major) = t;
            var bytes = NpyBytes(descr, fortran, shape, data, major);
            Fuzz.ReturnsOrRefuses<NpyArray, InvalidDataException>(() => Npy.Parse(bytes, "a.npy"), array =>
            {
                // Accepted only when every field was one it can read, and then exactly the data's first elements.
                Assert.Contains(descr, new[] { "<f4", "<f8", "<i4", "<i8", "<f2" });
                Assert.Equal("False", fortran);
                Assert.All(array.Shape, d => Assert.True(d >= 0));
                Assert.Equal(array.ElementCount, array.Data.Length);
                int size = descr switch { "<f2" => 2, "<f4" or "<i4" => 4, _ => 8 };
                Assert.True(array.ElementCount * size <= data.Length, "read past the data");
                // Half is no primitive for Buffer.BlockCopy: its bytes are read through a span.
                var raw = array.Data is Half[] halves ? System.Runtime.InteropServices.MemoryMarshal.AsBytes(halves.AsSpan()).ToArray() : new byte[array.ElementCount * size];
                if (array.Data is not Half[])
                {
                    Buffer.BlockCopy(array.Data, 0, raw, 0, raw.Length);
                }
                Assert.Equal(data.AsSpan(0, raw.Length).ToArray(), raw);
            });
        }, Cases, stream: 1, t => $"descr {t.Item1}, fortran {t.Item2}, shape {t.Item3}, {t.Item4.Length} data bytes, v{t.Item5}");
    }

    [Fact]
    public void Npy_reads_a_damaged_file_as_an_array_of_its_shape_or_refuses_it()
    {
        var path = Path.GetTempFileName();
        Npy.Write(path, Enumerable.Range(0, 24).Select(i => i * 0.5f).ToArray(), 2, 3, 4);
        var valid = File.ReadAllBytes(path);
        File.Delete(path);
        Fuzz.Check(Fuzz.Damaged(valid), bytes =>
            Fuzz.ReturnsOrRefuses<NpyArray, InvalidDataException>(() => Npy.Parse(bytes, "a.npy"),
                array => Assert.Equal(array.ElementCount, array.Data.Length)), Cases, stream: 2);
    }

    // ---- safetensors ----

    private static byte[] SafeTensorsBytes(string header, byte[] data, long? declaredLength = null)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var file = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)(declaredLength ?? json.Length));
        json.CopyTo(file, 8);
        data.CopyTo(file, 8 + json.Length);
        return file;
    }

    private static readonly Gen<string> JsonValue = Gen.OneOf(
        Gen.Int[-4, 40].Select(i => i.ToString()),
        Gen.Const("4294967296"), Gen.Const("-9223372036854775808"), Gen.Const("1.5"), Gen.Const("\"3\""), Gen.Const("null"),
        Gen.Const("[]"), Gen.Const("{}"), Gen.Const("true"));

    private static readonly Gen<string> TensorEntry = Gen.Select(
        Gen.OneOf("\"F32\"", "\"F64\"", "\"F16\"", "\"BF16\"", "\"I8\"", "3", "null"),
        Gen.OneOf(JsonValue.Array[0, 3].Select(v => $"[{string.Join(", ", v)}]"), JsonValue),
        Gen.OneOf(JsonValue.Array[0, 3].Select(v => $"[{string.Join(", ", v)}]"), JsonValue),
        Gen.Int[0, 7],
        (dtype, shape, offsets, omit) =>
        {
            var fields = new List<string>();
            if (omit != 1) fields.Add($"\"dtype\": {dtype}");
            if (omit != 2) fields.Add($"\"shape\": {shape}");
            if (omit != 3) fields.Add($"\"data_offsets\": {offsets}");
            return $"{{{string.Join(", ", fields)}}}";
        });

    [Fact]
    public void Safetensors_reads_generated_headers_exactly_or_refuses_them()
    {
        var gen = Gen.Select(
            Gen.OneOf(
                TensorEntry.Array[0, 3].Select(entries => "{" + string.Join(", ", entries.Select((e, i) => $"\"t{i}\": {e}")) + "}"),
                Gen.OneOf("[]", "3", "\"x\"", "{\"a\": 1}", "{\"__metadata__\": {\"k\": \"v\"}}", "{", "")),
            Gen.Byte.Array[0, 96],
            Gen.OneOf(Gen.Const((long?)null), Gen.Long[0, long.MaxValue].Select(l => (long?)l)));
        Fuzz.Check(gen, t =>
        {
            var (header, data, declared) = t;
            var bytes = SafeTensorsBytes(header, data, declared);
            Fuzz.ReturnsOrRefuses<IReadOnlyDictionary<string, SafeTensor>, InvalidDataException>(() => SafeTensors.Parse(bytes, "w.safetensors"), tensors =>
            {
                foreach (var tensor in tensors.Values)
                {
                    Assert.All(tensor.Shape, d => Assert.True(d >= 0));
                    Assert.Equal(tensor.Shape.Aggregate(1L, (a, b) => a * b), tensor.Data.LongLength);
                }
            });
        }, Cases, stream: 3, t => $"header {t.Item1}, {t.Item2.Length} data bytes, declared length {t.Item3}");
    }

    [Fact]
    public void Safetensors_reads_a_damaged_file_as_tensors_of_their_shapes_or_refuses_it()
    {
        var path = Path.GetTempFileName();
        SafeTensors.Write(path, [new SafeTensor("a.weight", [2, 3], [1, 2, 3, 4, 5, 6]), new SafeTensor("a.bias", [2], [7, 8])]);
        var valid = File.ReadAllBytes(path);
        File.Delete(path);
        Fuzz.Check(Fuzz.Damaged(valid), bytes =>
            Fuzz.ReturnsOrRefuses<IReadOnlyDictionary<string, SafeTensor>, InvalidDataException>(() => SafeTensors.Parse(bytes, "w.safetensors"),
                tensors => Assert.All(tensors.Values, t => Assert.Equal(t.Shape.Aggregate(1L, (a, b) => a * b), t.Data.LongLength))),
            Cases, stream: 4);
    }

    // ---- KITTI .bin ----

    private static readonly Gen<float> AnyFloat = Gen.OneOf(
        Gen.Float[-100f, 100f], Gen.OneOf(float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.MaxValue, -0f, float.Epsilon));

    [Fact]
    public void Kitti_bin_reads_every_point_exactly_or_names_what_is_wrong()
    {
        var gen = Gen.Select(AnyFloat.Array[0, 64], Gen.Int[0, 3], Gen.Bool, (values, cut, gzip) => (values, cut, gzip));
        Fuzz.Check(gen, t =>
        {
            var (values, cut, gzip) = t;
            var raw = new byte[values.Length * 4];
            Buffer.BlockCopy(values, 0, raw, 0, raw.Length);
            raw = raw[..Math.Max(0, raw.Length - cut)];
            var bytes = gzip ? Gzip(raw) : raw;
            bool wellFormed = raw.Length % 16 == 0 && values.Take(raw.Length / 4).All(float.IsFinite);
            Fuzz.ReturnsOrRefuses<PointCloud, InvalidDataException>(() => KittiBinReader.Parse(bytes, "scan.bin"), cloud =>
            {
                Assert.True(wellFormed, "a malformed scan was accepted");
                Assert.Equal(values.Take(raw.Length / 4), cloud.Xyzi);
            });
            if (wellFormed)
            {
                KittiBinReader.Parse(bytes, "scan.bin"); // a well-formed scan must not be refused
            }
        }, Cases, stream: 5, t => $"{t.Item1.Length} floats, cut {t.Item2}, gzip {t.Item3}");
    }

    [Fact]
    public void Kitti_bin_gz_damaged_reads_or_refuses()
    {
        var raw = new byte[16 * 40];
        new Random(5).NextBytes(raw);
        for (int i = 0; i < raw.Length; i += 4)
        {
            BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i), i * 0.25f);
        }
        Fuzz.Check(Fuzz.Damaged(Gzip(raw)), bytes =>
            Fuzz.ReturnsOrRefuses<PointCloud, InvalidDataException>(() => KittiBinReader.Parse(bytes, "scan.bin.gz"),
                cloud => Assert.All(cloud.Xyzi, v => Assert.True(float.IsFinite(v)))), Cases, stream: 6);
    }

    private static byte[] Gzip(byte[] raw)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(raw);
        }
        return buffer.ToArray();
    }

    // ---- Velodyne .pcap ----

    private static readonly Lazy<byte[]> CaptureStart = new(() =>
    {
        // The shipped HDL-32E capture's global header and first packets (enough for a few revolutions' worth of firings).
        var capture = File.ReadAllBytes(SharedData.ShippedCapture());
        return capture[..Math.Min(capture.Length, 24 + 60 * (16 + 1248))];
    });

    [Fact]
    public void Velodyne_pcap_damaged_decodes_to_finite_points_or_is_refused()
    {
        Fuzz.Check(Fuzz.Damaged(CaptureStart.Value), bytes =>
            Fuzz.ReturnsOrRefuses<VelodyneCapture, InvalidDataException>(() => VelodynePcapReader.Decode(bytes, "scan.pcap"),
                capture => Assert.All(capture.Revolutions, r => Assert.All(r.Points.Xyzi, v => Assert.True(float.IsFinite(v))))),
            Cases / 3, stream: 7);
    }

    [Fact]
    public void Scan_reader_on_any_bytes_and_name_reads_or_refuses()
    {
        var gen = Gen.Select(
            Gen.OneOf(Fuzz.Damaged(CaptureStart.Value[..4000]), Gen.Byte.Array[0, 64]),
            Gen.OneOf("a.pcap", "a.bin", "a.bin.gz", "a.gz", "a.pcapng", "a.txt", "a", "a.PCAP"));
        Fuzz.Check(gen, t =>
            Fuzz.ReturnsOrRefuses<PointCloud, InvalidDataException>(() => ScanReader.Parse(t.Item1, t.Item2),
                cloud => Assert.All(cloud.Xyzi, v => Assert.True(float.IsFinite(v)))), Cases / 3, stream: 8);
    }

    // ---- Velodyne calibration XML ----

    [Fact]
    public void Velodyne_calibration_damaged_reads_or_refuses()
    {
        using var stream = typeof(VelodyneCalibration).Assembly.GetManifestResourceStream(
            typeof(VelodyneCalibration).Assembly.GetManifestResourceNames().First(n => n.EndsWith("HDL-32.xml", StringComparison.Ordinal)))!;
        using var reader = new StreamReader(stream);
        var valid = Encoding.UTF8.GetBytes(reader.ReadToEnd());
        Fuzz.Check(Fuzz.Damaged(valid), bytes =>
            Fuzz.ReturnsOrRefuses<VelodyneCalibration, InvalidDataException>(() => VelodyneCalibration.Parse(Encoding.UTF8.GetString(bytes), "calib.xml"), _ => { }),
            Cases / 5, stream: 9);
    }
}
