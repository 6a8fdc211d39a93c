using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace KernelGen.IO;

/// <summary>
/// NumPy <c>.npy</c> files (format versions 1.0, 2.0 and 3.0): little-endian float32, float64, int32 and int64 in
/// C order. Anything else (big-endian, Fortran order, other dtypes, truncated data) is an error naming the problem.
/// </summary>
public static partial class Npy
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads the array at <paramref name="path"/>.</summary>
    public static NpyArray Read(string path)
    {
        OutputPaths.RequireRegularFile(path, "array");
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot read '{path}': {e.Message}", e);
        }
        return Parse(bytes, path);
    }

    /// <summary>Parses <c>.npy</c> bytes; <paramref name="name"/> names the source in errors.</summary>
    public static NpyArray Parse(byte[] bytes, string name)
    {
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic))
        {
            throw new InvalidDataException($"'{name}' is not a .npy file (missing the \\x93NUMPY magic)");
        }
        int major = bytes[6];
        int headerLength, headerStart;
        switch (major)
        {
            case 1:
                headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
                headerStart = 10;
                break;
            case 2 or 3:
                if (bytes.Length < 12)
                {
                    throw new InvalidDataException($"'{name}': truncated .npy header");
                }
                uint declared = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
                if (declared > (uint)(bytes.Length - 12))
                {
                    throw new InvalidDataException($"'{name}': truncated .npy header ({declared} bytes declared, {bytes.Length - 12} present)");
                }
                headerLength = (int)declared;
                headerStart = 12;
                break;
            default:
                throw new InvalidDataException($"'{name}': .npy format version {major}.{bytes[7]} is not supported (1.0, 2.0, 3.0 are)");
        }
        if (headerStart + headerLength > bytes.Length)
        {
            throw new InvalidDataException($"'{name}': truncated .npy header");
        }
        string header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(bytes, headerStart, headerLength);
        var (type, shape) = ParseHeader(header, name);

        int itemSize = type switch { NpyType.Float16 => 2, NpyType.Float32 or NpyType.Int32 => 4, _ => 8 };
        long dataStart = headerStart + headerLength;
        // The element count in checked 64-bit arithmetic: a huge shape is an error, never a wrapped-around small count.
        long count = shape.Contains(0) ? 0 : 1;
        foreach (int dimension in count == 0 ? [] : shape)
        {
            if (count > long.MaxValue / itemSize / dimension)
            {
                count = -1;
                break;
            }
            count *= dimension;
        }
        long expected = count * itemSize;
        if (count < 0 || bytes.Length - dataStart < expected)
        {
            throw new InvalidDataException(count < 0
                ? $"'{name}': shape ({string.Join(", ", shape)}) needs more data bytes than the file's {bytes.Length - dataStart} (truncated)"
                : $"'{name}': shape ({string.Join(", ", shape)}) needs {expected} data bytes but the file has {bytes.Length - dataStart} (truncated)");
        }
        var data = bytes.AsSpan((int)dataStart, (int)expected);
        Array array = type switch
        {
            NpyType.Float32 => ReadAll(data, count, s => BinaryPrimitives.ReadSingleLittleEndian(s), 4),
            NpyType.Float64 => ReadAll(data, count, s => BinaryPrimitives.ReadDoubleLittleEndian(s), 8),
            NpyType.Int32 => ReadAll(data, count, s => BinaryPrimitives.ReadInt32LittleEndian(s), 4),
            NpyType.Float16 => ReadAll(data, count, s => BinaryPrimitives.ReadHalfLittleEndian(s), 2),
            _ => ReadAll(data, count, s => BinaryPrimitives.ReadInt64LittleEndian(s), 8),
        };
        return new NpyArray(type, shape, array);
    }

    /// <summary>Writes float32 data of <paramref name="shape"/>.</summary>
    public static void Write(string path, float[] data, params int[] shape) =>
        Write(path, NpyType.Float32, data, shape, (s, v) => BinaryPrimitives.WriteSingleLittleEndian(s, v), 4);

    /// <summary>Writes float64 data of <paramref name="shape"/>.</summary>
    public static void Write(string path, double[] data, params int[] shape) =>
        Write(path, NpyType.Float64, data, shape, (s, v) => BinaryPrimitives.WriteDoubleLittleEndian(s, v), 8);

    /// <summary>Writes int32 data of <paramref name="shape"/>.</summary>
    public static void Write(string path, int[] data, params int[] shape) =>
        Write(path, NpyType.Int32, data, shape, (s, v) => BinaryPrimitives.WriteInt32LittleEndian(s, v), 4);

    /// <summary>Writes int64 data of <paramref name="shape"/>.</summary>
    public static void Write(string path, long[] data, params int[] shape) =>
        Write(path, NpyType.Int64, data, shape, (s, v) => BinaryPrimitives.WriteInt64LittleEndian(s, v), 8);

    /// <summary>
    /// Reads a float32 array of rank <paramref name="rank"/>; <paramref name="what"/> names it in errors
    /// (other dtypes are rejected rather than silently converted).
    /// </summary>
    public static (float[] Data, int[] Shape) ReadFloat32(string path, int rank, string what)
    {
        var array = Read(path);
        EnsureRank(array, rank, what, path);
        if (array.Type != NpyType.Float32)
        {
            throw new InvalidDataException($"{what} '{path}' has dtype {Descr(array.Type)}; float32 ('<f4') is required (use .astype(np.float32))");
        }
        return ((float[])array.Data, array.Shape);
    }

    /// <summary>
    /// Reads an integer array of rank <paramref name="rank"/> as int32; int64 data is accepted when every value fits.
    /// </summary>
    public static (int[] Data, int[] Shape) ReadInt32(string path, int rank, string what)
    {
        var array = Read(path);
        EnsureRank(array, rank, what, path);
        return (Int32Values(array, what, path), array.Shape);
    }

    /// <summary>
    /// <paramref name="array"/>'s int32 values, or its int64 ones narrowed where every value fits; any other dtype, or a
    /// value beyond int32, is an error naming <paramref name="what"/>, <paramref name="path"/> and the element.
    /// </summary>
    internal static int[] Int32Values(NpyArray array, string what, string path)
    {
        switch (array.Type)
        {
            case NpyType.Int32:
                return (int[])array.Data;
            case NpyType.Int64:
                var wide = (long[])array.Data;
                var narrow = new int[wide.Length];
                for (int i = 0; i < wide.Length; i++)
                {
                    if (wide[i] is < int.MinValue or > int.MaxValue)
                    {
                        throw new InvalidDataException($"{what} '{path}': value {wide[i]} at flat index {i} does not fit in int32");
                    }
                    narrow[i] = (int)wide[i];
                }
                return narrow;
            default:
                throw new InvalidDataException($"{what} '{path}' has dtype {Descr(array.Type)}; int32 ('<i4') or int64 is required");
        }
    }

    private static void EnsureRank(NpyArray array, int rank, string what, string path)
    {
        if (array.Shape.Length != rank)
        {
            throw new InvalidDataException($"{what} '{path}' has shape {array.ShapeText}; a {rank}-d array is required");
        }
    }

    private static string Descr(NpyType type) => type switch
    {
        NpyType.Float32 => "<f4",
        NpyType.Float64 => "<f8",
        NpyType.Int32 => "<i4",
        NpyType.Float16 => "<f2",
        _ => "<i8",
    };

    private static (NpyType Type, int[] Shape) ParseHeader(string header, string name)
    {
        var descr = DescrPattern().Match(header);
        var fortran = FortranPattern().Match(header);
        var shape = ShapePattern().Match(header);
        if (!descr.Success || !fortran.Success || !shape.Success)
        {
            throw new InvalidDataException($"'{name}': malformed .npy header {OneLine.Of(header.Trim())}");
        }
        if (fortran.Groups[1].Value == "True")
        {
            throw new InvalidDataException($"'{name}': Fortran-ordered arrays are not supported; save a C-ordered copy (np.ascontiguousarray)");
        }
        var type = descr.Groups[1].Value switch
        {
            "<f4" => NpyType.Float32,
            "<f8" => NpyType.Float64,
            "<i4" => NpyType.Int32,
            "<i8" => NpyType.Int64,
            "<f2" => NpyType.Float16,
            var other => throw new InvalidDataException(
                $"'{name}': dtype '{OneLine.Of(other)}' is not supported; use little-endian float32, float64, float16, int32 or int64 ('<f4', '<f8', '<f2', '<i4', '<i8')"),
        };
        var dims = shape.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var parsed = new int[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            if (!int.TryParse(dims[i].TrimEnd('L'), NumberStyles.None, CultureInfo.InvariantCulture, out parsed[i]))
            {
                throw new InvalidDataException($"'{name}': shape entry '{OneLine.Of(dims[i])}' is not a non-negative integer");
            }
        }
        return (type, parsed);
    }

    private static T[] ReadAll<T>(ReadOnlySpan<byte> data, long count, ReadElement<T> read, int size)
    {
        var values = new T[count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = read(data.Slice(i * size, size));
        }
        return values;
    }

    private delegate T ReadElement<out T>(ReadOnlySpan<byte> source);

    private delegate void WriteElement<in T>(Span<byte> destination, T value);

    private static void Write<T>(string path, NpyType type, T[] data, int[] shape, WriteElement<T> write, int size)
    {
        ArgumentNullException.ThrowIfNull(data);
        long count = shape.Aggregate(1L, (a, b) => a * b);
        if (shape.Any(d => d < 0) || count != data.LongLength)
        {
            throw new ArgumentException($"shape ({string.Join(", ", shape)}) does not hold {data.LongLength} values");
        }
        string shapeText = shape.Length == 1 ? $"({shape[0]},)" : $"({string.Join(", ", shape)})";
        string dict = $"{{'descr': '{Descr(type)}', 'fortran_order': False, 'shape': {shapeText}, }}";
        // Header padded with spaces and a newline so the data starts on a 64-byte boundary, as NumPy writes it.
        int unpadded = 10 + dict.Length + 1;
        int padding = (64 - unpadded % 64) % 64;
        string header = dict + new string(' ', padding) + "\n";
        var bytes = new byte[10 + header.Length + data.LongLength * size];
        Magic.CopyTo(bytes, 0);
        bytes[6] = 1;
        bytes[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)header.Length);
        Encoding.Latin1.GetBytes(header, bytes.AsSpan(10));
        var body = bytes.AsSpan(10 + header.Length);
        for (int i = 0; i < data.Length; i++)
        {
            write(body.Slice(i * size, size), data[i]);
        }
        AtomicFile.WriteAllBytes(path, bytes);
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
