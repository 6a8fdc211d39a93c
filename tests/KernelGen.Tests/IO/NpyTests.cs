using System.Text;
using KernelGen.IO;

namespace KernelGen.Tests.IO;

public sealed class NpyTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("kernelgen-npy-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string PathOf(string name) => Path.Combine(_folder, name);

    [Fact]
    public void Every_supported_dtype_round_trips()
    {
        Npy.Write(PathOf("f4.npy"), new[] { 1.5f, -2f, 3.25f, 0f, float.MaxValue, -0f }, 2, 3);
        Npy.Write(PathOf("f8.npy"), new[] { Math.PI, -1e300 }, 2);
        Npy.Write(PathOf("i4.npy"), new[] { int.MinValue, 7, int.MaxValue, 0 }, 1, 4);
        Npy.Write(PathOf("i8.npy"), new[] { long.MinValue, 9L }, 2, 1);
        Npy.Write(PathOf("empty.npy"), Array.Empty<int>(), 0, 4);

        var f4 = Npy.Read(PathOf("f4.npy"));
        Assert.Equal(NpyType.Float32, f4.Type);
        Assert.Equal(new[] { 2, 3 }, f4.Shape);
        Assert.Equal(new[] { 1.5f, -2f, 3.25f, 0f, float.MaxValue, -0f }, (float[])f4.Data);
        Assert.Equal(new[] { Math.PI, -1e300 }, (double[])Npy.Read(PathOf("f8.npy")).Data);
        Assert.Equal(new[] { int.MinValue, 7, int.MaxValue, 0 }, (int[])Npy.Read(PathOf("i4.npy")).Data);
        Assert.Equal(new[] { long.MinValue, 9L }, (long[])Npy.Read(PathOf("i8.npy")).Data);
        var empty = Npy.Read(PathOf("empty.npy"));
        Assert.Equal(new[] { 0, 4 }, empty.Shape);
        Assert.Empty((int[])empty.Data);
    }

    [Fact]
    public void Written_header_is_numpys()
    {
        // NumPy writes format 1.0 with this dict, padded with spaces and '\n' so data starts on a 64-byte boundary:
        // the familiar "\x93NUMPY\x01\x00v\x00" prefix (header length 118, data at byte 128).
        Npy.Write(PathOf("h.npy"), new float[6], 2, 3);
        var bytes = File.ReadAllBytes(PathOf("h.npy"));
        Assert.Equal(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)'v', 0 }, bytes[..10]);
        string header = Encoding.ASCII.GetString(bytes, 10, 118);
        Assert.Equal("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", header.TrimEnd());
        Assert.EndsWith("\n", header);
        Assert.Equal(128 + 24, bytes.Length);
    }

    [Fact]
    public void Reads_version_2_headers_and_one_element_tuples()
    {
        var dict = "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }\n";
        var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 2, 0 };
        bytes.AddRange(BitConverter.GetBytes(dict.Length));
        bytes.AddRange(Encoding.ASCII.GetBytes(dict));
        foreach (long v in new long[] { 5, -6, 7 })
        {
            bytes.AddRange(BitConverter.GetBytes(v));
        }
        var array = Npy.Parse(bytes.ToArray(), "v2.npy");
        Assert.Equal(new[] { 3 }, array.Shape);
        Assert.Equal(new long[] { 5, -6, 7 }, (long[])array.Data);
    }

    [Theory]
    [InlineData("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", "dtype '>f4' is not supported; use little-endian float32, float64, float16, int32 or int64")]
    [InlineData("{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }", "dtype '<i2' is not supported")]
    [InlineData("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", "Fortran-ordered arrays are not supported")]
    [InlineData("{'descr': '<f4', 'shape': (2,), }", "malformed .npy header")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (9,), }", "shape (9) needs 36 data bytes but the file has 8 (truncated)")]
    public void Unsupported_or_broken_files_name_the_problem(string dict, string message)
    {
        var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 };
        bytes.AddRange(BitConverter.GetBytes((ushort)dict.Length));
        bytes.AddRange(Encoding.ASCII.GetBytes(dict));
        bytes.AddRange(new byte[8]);
        Assert.Contains(message, Assert.Throws<InvalidDataException>(() => Npy.Parse(bytes.ToArray(), "x.npy")).Message);
    }

    [Fact]
    public void Foreign_files_and_versions_are_errors()
    {
        Assert.Equal("'x.npy' is not a .npy file (missing the \\x93NUMPY magic)",
            Assert.Throws<InvalidDataException>(() => Npy.Parse(Encoding.ASCII.GetBytes("PK\u0003\u0004 zip file"), "x.npy")).Message);
        byte[] v4 = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 4, 0, 0, 0, 0, 0];
        Assert.Contains(".npy format version 4.0 is not supported", Assert.Throws<InvalidDataException>(() => Npy.Parse(v4, "v4.npy")).Message);
        Assert.Contains("cannot read array '/nonexistent/a.npy': no such file", Assert.Throws<IOException>(() => Npy.Read("/nonexistent/a.npy")).Message);
    }

    [Fact]
    public void Typed_reads_check_rank_and_dtype()
    {
        Npy.Write(PathOf("d.npy"), new double[4], 2, 2);
        Npy.Write(PathOf("l.npy"), new[] { 1L, (long)int.MaxValue + 1 }, 2);
        Npy.Write(PathOf("ok.npy"), new[] { 1L, -2L, 3L, 4L }, 1, 4);
        Assert.Contains("has dtype <f8; float32 ('<f4') is required",
            Assert.Throws<InvalidDataException>(() => Npy.ReadFloat32(PathOf("d.npy"), 2, "--features")).Message);
        Assert.Contains("has shape (2, 2); a 3-d array is required",
            Assert.Throws<InvalidDataException>(() => Npy.ReadFloat32(PathOf("d.npy"), 3, "--weight")).Message);
        Assert.Contains("value 2147483648 at flat index 1 does not fit in int32",
            Assert.Throws<InvalidDataException>(() => Npy.ReadInt32(PathOf("l.npy"), 1, "--coords")).Message);
        Assert.Equal(new[] { 1, -2, 3, 4 }, Npy.ReadInt32(PathOf("ok.npy"), 2, "--coords").Data);
    }
}
