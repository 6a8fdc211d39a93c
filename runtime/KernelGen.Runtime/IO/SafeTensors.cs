using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace KernelGen.IO;

/// <summary>One tensor of a safetensors file, converted to float32.</summary>
public sealed record SafeTensor(string Name, int[] Shape, float[] Data)
{
    /// <summary>Shape as "(16, 3, 3, 3, 5)".</summary>
    public string ShapeText => $"({string.Join(", ", Shape)})";
}

/// <summary>
/// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header mapping each name to
/// its dtype, shape and byte range, then the little-endian data. F32, F64, F16 and BF16 tensors read as float32;
/// a malformed header, a range outside the file or an unsupported dtype is an error naming the tensor.
/// </summary>
public static class SafeTensors
{
    /// <summary>Every tensor in the file at <paramref name="path"/>.</summary>
    public static IReadOnlyDictionary<string, SafeTensor> Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot read weights '{path}': {e.Message}", e);
        }
        return Parse(bytes, Path.GetFileName(path));
    }

    /// <summary>Parses safetensors bytes; <paramref name="name"/> names the source in errors.</summary>
    public static IReadOnlyDictionary<string, SafeTensor> Parse(byte[] bytes, string name)
    {
        if (bytes.Length < 8)
        {
            throw new InvalidDataException($"'{name}': {bytes.Length} bytes is too short for a safetensors header");
        }
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > (ulong)(bytes.Length - 8))
        {
            throw new InvalidDataException($"'{name}': header length {headerLength} exceeds the file ({bytes.Length} bytes); not a safetensors file or truncated");
        }
        long dataStart = 8 + (long)headerLength;
        JsonDocument header;
        try
        {
            header = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)headerLength));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{name}': the safetensors header is not valid JSON ({e.Message})", e);
        }
        var tensors = new Dictionary<string, SafeTensor>(StringComparer.Ordinal);
        using (header)
        {
            foreach (var entry in header.RootElement.EnumerateObject())
            {
                if (entry.Name == "__metadata__")
                {
                    continue;
                }
                string dtype = entry.Value.GetProperty("dtype").GetString() ?? "";
                var shape = entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
                var offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(o => o.GetInt64()).ToArray();
                int size = dtype switch
                {
                    "F32" => 4,
                    "F64" => 8,
                    "F16" or "BF16" => 2,
                    _ => throw new InvalidDataException($"'{name}': tensor '{entry.Name}' has dtype {dtype}; F32, F64, F16 or BF16 is required"),
                };
                long count = shape.Aggregate(1L, (a, b) => a * b);
                if (offsets.Length != 2 || offsets[1] - offsets[0] != count * size || dataStart + offsets[1] > bytes.Length || offsets[0] < 0)
                {
                    throw new InvalidDataException(
                        $"'{name}': tensor '{entry.Name}' {dtype} ({string.Join(", ", shape)}) has byte range [{string.Join(", ", offsets)}] that does not fit its shape or the file (truncated?)");
                }
                var data = new float[count];
                var span = bytes.AsSpan((int)(dataStart + offsets[0]), (int)(count * size));
                for (int i = 0; i < count; i++)
                {
                    data[i] = dtype switch
                    {
                        "F32" => BinaryPrimitives.ReadSingleLittleEndian(span[(i * 4)..]),
                        "F64" => (float)BinaryPrimitives.ReadDoubleLittleEndian(span[(i * 8)..]),
                        "F16" => (float)BinaryPrimitives.ReadHalfLittleEndian(span[(i * 2)..]),
                        _ => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(span[(i * 2)..]) << 16),
                    };
                }
                tensors[entry.Name] = new SafeTensor(entry.Name, shape, data);
            }
        }
        return tensors;
    }

    /// <summary>Writes float32 tensors (for tests and for exporting weights).</summary>
    public static void Write(string path, IEnumerable<SafeTensor> tensors)
    {
        var list = tensors.ToList();
        var header = new Dictionary<string, object>();
        long offset = 0;
        foreach (var tensor in list)
        {
            header[tensor.Name] = new { dtype = "F32", shape = tensor.Shape, data_offsets = new[] { offset, offset + tensor.Data.LongLength * 4 } };
            offset += tensor.Data.LongLength * 4;
        }
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        using var stream = File.Create(path);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)json.Length);
        stream.Write(length);
        stream.Write(json);
        foreach (var tensor in list)
        {
            var data = new byte[tensor.Data.Length * 4];
            Buffer.BlockCopy(tensor.Data, 0, data, 0, data.Length);
            stream.Write(data);
        }
    }

    /// <summary>The tensor <paramref name="key"/> with exactly <paramref name="shape"/>, or an error saying what is wrong.</summary>
    public static SafeTensor Require(IReadOnlyDictionary<string, SafeTensor> tensors, string key, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (!tensors.TryGetValue(key, out var tensor))
        {
            throw new KeyNotFoundException($"weights have no tensor '{key}'");
        }
        if (!tensor.Shape.SequenceEqual(shape))
        {
            throw new InvalidDataException($"tensor '{key}' has shape {tensor.ShapeText}, expected ({string.Join(", ", shape)})");
        }
        return tensor;
    }
}
