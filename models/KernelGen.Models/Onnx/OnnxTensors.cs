using System.Buffers.Binary;
using Onnx;

namespace KernelGen.Models.Onnx;

/// <summary>ONNX initializers as float32: FLOAT and FLOAT16 (NVIDIA's exports store weights in fp16), raw or typed.</summary>
internal static class OnnxTensors
{
    private const int Float = 1, Float16 = 10;

    /// <summary>The values and dims of <paramref name="tensor"/>; any other type, external data or a size mismatch is an error.</summary>
    public static (float[] Data, long[] Dims) Read(TensorProto tensor, string node)
    {
        var dims = tensor.Dims.ToArray();
        long count = 1;
        foreach (long d in dims)
        {
            count = d >= 0 ? checked(count * d) : throw new InvalidDataException($"ONNX node {node}: initializer {tensor.Name} has dimension {d}");
        }
        if (tensor.DataLocation == TensorProto.Types.DataLocation.External)
        {
            throw new InvalidDataException($"ONNX node {node}: initializer {tensor.Name} is stored in an external file; save the model with its weights inside (onnx.save_model(..., save_as_external_data=False))");
        }
        var raw = tensor.RawData.Span;
        float[] data = tensor.DataType switch
        {
            Float when raw.Length > 0 => Decode(raw, count, 4, tensor.Name, node, s => BinaryPrimitives.ReadSingleLittleEndian(s)),
            Float => Sized(tensor.FloatData.ToArray(), count, tensor.Name, node),
            Float16 when raw.Length > 0 => Decode(raw, count, 2, tensor.Name, node, s => (float)BinaryPrimitives.ReadHalfLittleEndian(s)),
            // Typed fp16 values travel as the low 16 bits of int32_data.
            Float16 => Sized(tensor.Int32Data.Select(bits => (float)BitConverter.UInt16BitsToHalf((ushort)bits)).ToArray(), count, tensor.Name, node),
            var other => throw new InvalidDataException($"ONNX node {node}: initializer {tensor.Name} has data type {other}; float (1) or float16 (10) is read"),
        };
        int bad = Array.FindIndex(data, v => !float.IsFinite(v));
        return bad < 0 ? (data, dims) : throw new InvalidDataException($"ONNX node {node}: initializer {tensor.Name} has a non-finite value {data[bad]} at {bad}");
    }

    private delegate float Element(ReadOnlySpan<byte> bytes);

    private static float[] Decode(ReadOnlySpan<byte> raw, long count, int size, string tensor, string node, Element read)
    {
        if (raw.Length != count * size)
        {
            throw new InvalidDataException($"ONNX node {node}: initializer {tensor} has {raw.Length} bytes, its dims need {count * size}");
        }
        var data = new float[count];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = read(raw.Slice(i * size, size));
        }
        return data;
    }

    private static float[] Sized(float[] data, long count, string tensor, string node) =>
        data.LongLength == count ? data : throw new InvalidDataException($"ONNX node {node}: initializer {tensor} has {data.Length} values, its dims need {count}");
}
