using System.Buffers.Binary;

namespace KernelGen.IO;

/// <summary>
/// Reads the tensor files of NVIDIA's libspconv samples (Lidar_AI_Solution <c>3DSparseConvolution/workspace</c>:
/// <c>in_features.torch.fp16.tensor</c>, <c>in_indices_zyx.torch.int32.tensor</c>): a header of little-endian int32 —
/// magic 0x33ff1101, rank, dtype code (1 int32, 2 float16, 3 float32, 4 int64) — then the rank dimensions as int32 and
/// the C-ordered data. Read into the same <see cref="NpyArray"/> the <c>.npy</c> reader gives.
/// </summary>
public static class NvidiaTensorFile
{
    /// <summary>The header's first word.</summary>
    public const int Magic = 0x33ff1101;

    /// <summary>Reads <paramref name="path"/>; every malformed header or short file is an error naming it.</summary>
    public static NpyArray Read(string path)
    {
        OutputPaths.RequireRegularFile(path, "tensor");
        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>Parses tensor-file bytes; <paramref name="name"/> names the source in errors.</summary>
    public static NpyArray Parse(byte[] bytes, string name)
    {
        if (bytes.Length < 12 || BinaryPrimitives.ReadInt32LittleEndian(bytes) != Magic)
        {
            throw new InvalidDataException($"'{name}' is not a libspconv tensor file (no 0x33ff1101 magic)");
        }
        int rank = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4)), code = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8));
        var (type, size) = code switch
        {
            1 => (NpyType.Int32, 4),
            2 => (NpyType.Float16, 2),
            3 => (NpyType.Float32, 4),
            4 => (NpyType.Int64, 8),
            _ => throw new InvalidDataException($"'{name}': tensor dtype code {code} is not read (1 int32, 2 float16, 3 float32, 4 int64)"),
        };
        if (rank is < 1 or > 8 || bytes.Length < 12 + 4L * rank)
        {
            throw new InvalidDataException($"'{name}': tensor rank {rank} is not 1–8, or the header is truncated");
        }
        var shape = new int[rank];
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            shape[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(12 + 4 * i));
            if (shape[i] < 0)
            {
                throw new InvalidDataException($"'{name}': tensor dimension {i} is {shape[i]}");
            }
            count = checked(count * shape[i]);
        }
        long start = 12 + 4L * rank, expected = count * size;
        if (bytes.Length - start != expected)
        {
            throw new InvalidDataException($"'{name}': shape ({string.Join(", ", shape)}) needs {expected} data bytes but the file has {bytes.Length - start}");
        }
        var data = bytes.AsMemory((int)start);
        Array values = type switch
        {
            NpyType.Int32 => Read(data.Span, (int)count, 4, s => BinaryPrimitives.ReadInt32LittleEndian(s)),
            NpyType.Float16 => Read(data.Span, (int)count, 2, s => BinaryPrimitives.ReadHalfLittleEndian(s)),
            NpyType.Float32 => Read(data.Span, (int)count, 4, s => BinaryPrimitives.ReadSingleLittleEndian(s)),
            _ => Read(data.Span, (int)count, 8, s => BinaryPrimitives.ReadInt64LittleEndian(s)),
        };
        return new NpyArray(type, shape, values);
    }

    private delegate T Element<T>(ReadOnlySpan<byte> bytes);

    private static T[] Read<T>(ReadOnlySpan<byte> data, int count, int size, Element<T> read)
    {
        var values = new T[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = read(data.Slice(i * size, size));
        }
        return values;
    }
}
