using System.Buffers.Binary;
using System.IO.Compression;

namespace KernelGen.Points;

/// <summary>
/// Reads a KITTI velodyne <c>.bin</c> scan: N × 4 little-endian float32 (x, y, z, reflectance). A gzip-compressed
/// file (<c>.bin.gz</c>) is recognised by its magic bytes and decompressed on the fly.
/// </summary>
public static class KittiBinReader
{
    private const int BytesPerPoint = 16;

    /// <summary>Reads the scan at <paramref name="path"/>.</summary>
    public static PointCloud Read(string path)
    {
        KernelGen.IO.OutputPaths.RequireRegularFile(path, "KITTI scan");
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot read KITTI scan '{path}': {e.Message}", e);
        }
        return Parse(bytes, path);
    }

    /// <summary>Parses scan bytes (raw or gzip); <paramref name="name"/> names the source in errors.</summary>
    public static PointCloud Parse(byte[] bytes, string name)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B)
        {
            bytes = Gunzip(bytes, name);
        }
        if (bytes.Length % BytesPerPoint != 0)
        {
            throw new InvalidDataException(
                $"'{name}': {bytes.Length} bytes is not a multiple of 16 (x, y, z, reflectance as float32): truncated or not a KITTI .bin");
        }
        var xyzi = new float[bytes.Length / 4];
        for (int i = 0; i < xyzi.Length; i++)
        {
            float value = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4, 4));
            if (!float.IsFinite(value))
            {
                throw new InvalidDataException($"'{name}': point {i / 4} has a non-finite value {value} in column {"xyzr"[i % 4]}");
            }
            if (i % 4 == 3 && value is < 0 or > 1)
            {
                throw new InvalidDataException($"'{name}': point {i / 4} has reflectance {value}, outside KITTI's 0–1: not a KITTI scan? (nuScenes points: --point-format nuscenes or nuscenes-sweeps)");
            }
            xyzi[i] = value;
        }
        return new PointCloud(xyzi, Path.GetFileName(name), "KITTI (HDL-64E)", intensityMax: 1);
    }

    /// <summary>
    /// The most points a KITTI scan is read with: an HDL-64E revolution has about 130,000; 2^23 leaves room for any real
    /// sensor while a gzip bomb (a small file that expands to gigabytes) stops at 128 MiB instead of exhausting memory.
    /// </summary>
    public const int MaxPoints = 1 << 23;

    private static byte[] Gunzip(byte[] compressed, string name)
    {
        byte[] raw;
        const long limit = (long)MaxPoints * BytesPerPoint;
        try
        {
            using var gzip = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
            using var output = new MemoryStream();
            var buffer = new byte[1 << 16];
            for (int read; (read = gzip.Read(buffer)) > 0;)
            {
                if (output.Length + read > limit)
                {
                    throw new InvalidDataException(
                        $"'{name}': the gzip stream expands past {limit >> 20} MiB, more than a KITTI scan holds ({MaxPoints} points): not a scan, or a corrupt or hostile file");
                }
                output.Write(buffer, 0, read);
            }
            raw = output.ToArray();
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith($"'{name}'", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"'{name}': gzip stream is corrupt or truncated ({KernelGen.IO.OneLine.Of(e.Message)})", e);
        }
        // GZipStream stops quietly at a cut stream; the trailer's ISIZE (length mod 2^32) catches that.
        uint declared = compressed.Length >= 18 ? BinaryPrimitives.ReadUInt32LittleEndian(compressed.AsSpan(compressed.Length - 4)) : uint.MaxValue;
        if (declared != (uint)raw.LongLength)
        {
            throw new InvalidDataException($"'{name}': gzip stream is corrupt or truncated (decompressed {raw.LongLength} bytes)");
        }
        return raw;
    }
}
