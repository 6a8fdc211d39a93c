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
        OutputPaths.RequireRegularFile(path, "weights");
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
            throw new InvalidDataException($"'{name}': the safetensors header is not valid JSON ({OneLine.Of(e.Message)})", e);
        }
        var tensors = new Dictionary<string, SafeTensor>(StringComparer.Ordinal);
        var ranges = new List<(long Begin, long End, string Tensor)>();
        using (header)
        {
            if (header.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"'{name}': the safetensors header is a JSON {header.RootElement.ValueKind}, not an object of tensors");
            }
            foreach (var entry in header.RootElement.EnumerateObject())
            {
                if (entry.Name == "__metadata__")
                {
                    continue;
                }
                var (dtype, shape, offsets) = Entry(entry, name);
                int size = dtype switch
                {
                    "F32" => 4,
                    "F64" => 8,
                    "F16" or "BF16" => 2,
                    _ => throw new InvalidDataException($"'{name}': tensor '{OneLine.Of(entry.Name)}' has dtype {OneLine.Of(dtype)}; F32, F64, F16 or BF16 is required"),
                };
                // The element count in checked arithmetic against what the file can hold: a huge shape is an error, not a wrap-around.
                long available = bytes.Length - dataStart, count = 1;
                foreach (int dimension in shape)
                {
                    count = dimension == 0 || count <= available / size / dimension ? count * dimension : long.MaxValue / size;
                }
                if (offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > available || offsets[1] - offsets[0] != count * size)
                {
                    throw new InvalidDataException(
                        $"'{name}': tensor '{OneLine.Of(entry.Name)}' {dtype} ({string.Join(", ", shape)}) has byte range [{string.Join(", ", offsets)}] that does not fit its shape or the file (truncated?)");
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
                if (!tensors.TryAdd(entry.Name, new SafeTensor(entry.Name, shape, data)))
                {
                    throw new InvalidDataException($"'{name}': tensor '{OneLine.Of(entry.Name)}' is listed twice in the header");
                }
                ranges.Add((offsets[0], offsets[1], entry.Name));
            }
        }
        CheckTiling(ranges, bytes.Length - dataStart, name);
        return tensors;
    }

    /// <summary>
    /// The format's rule: the tensors' byte ranges tile the data block — no two overlap (one tensor would silently read
    /// another's bytes), no bytes belong to none, nothing follows the last.
    /// </summary>
    private static void CheckTiling(List<(long Begin, long End, string Tensor)> ranges, long dataLength, string name)
    {
        ranges.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long covered = 0;
        string? previous = null;
        foreach (var (begin, end, tensor) in ranges)
        {
            if (begin < covered)
            {
                throw new InvalidDataException(
                    $"'{name}': tensor '{OneLine.Of(tensor)}' bytes [{begin}, {end}] overlap tensor '{OneLine.Of(previous!)}' (the format forbids overlapping data_offsets)");
            }
            if (begin > covered)
            {
                throw new InvalidDataException($"'{name}': data bytes [{covered}, {begin}] belong to no tensor (the format requires the tensors to tile the data block)");
            }
            covered = end;
            previous = tensor;
        }
        if (covered != dataLength)
        {
            throw new InvalidDataException($"'{name}': {dataLength - covered} data bytes after the last tensor belong to no tensor (truncated header, or trailing data)");
        }
    }

    /// <summary>One header entry's dtype, shape and byte range, or an error naming the tensor and the field.</summary>
    private static (string Dtype, int[] Shape, long[] Offsets) Entry(JsonProperty entry, string name)
    {
        string at = $"'{name}': tensor '{OneLine.Of(entry.Name)}'";
        if (entry.Value.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"{at} is a JSON {entry.Value.ValueKind}, not an object with dtype, shape and data_offsets");
        }
        JsonElement Field(string field) => entry.Value.TryGetProperty(field, out var value)
            ? value
            : throw new InvalidDataException($"{at} has no '{field}'");
        var dtype = Field("dtype");
        if (dtype.ValueKind != JsonValueKind.String)
        {
            throw new InvalidDataException($"{at}: dtype is a JSON {dtype.ValueKind}, not a string");
        }
        var shape = Field("shape");
        var offsets = Field("data_offsets");
        if (shape.ValueKind != JsonValueKind.Array || shape.EnumerateArray().Any(d => d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out int v) || v < 0))
        {
            throw new InvalidDataException($"{at}: shape must be an array of non-negative integers, not {shape.GetRawText()}");
        }
        if (offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2 || offsets.EnumerateArray().Any(o => o.ValueKind != JsonValueKind.Number || !o.TryGetInt64(out long v) || v < 0))
        {
            throw new InvalidDataException($"{at}: data_offsets must be two non-negative integers [begin, end], not {offsets.GetRawText()}");
        }
        return (dtype.GetString()!, shape.EnumerateArray().Select(d => d.GetInt32()).ToArray(), offsets.EnumerateArray().Select(o => o.GetInt64()).ToArray());
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
        AtomicFile.Write(path, stream => WriteTo(stream, json, list));
    }

    private static void WriteTo(Stream stream, byte[] json, List<SafeTensor> list)
    {
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
