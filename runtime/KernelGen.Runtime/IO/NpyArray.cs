namespace KernelGen.IO;

/// <summary>The element types KernelGen reads and writes in <c>.npy</c> files.</summary>
public enum NpyType
{
    /// <summary>'&lt;f4'.</summary>
    Float32,

    /// <summary>'&lt;f8'.</summary>
    Float64,

    /// <summary>'&lt;i4'.</summary>
    Int32,

    /// <summary>'&lt;i8'.</summary>
    Int64,

    /// <summary>'&lt;f2' (read only: NVIDIA's sparse-conv samples keep features in fp16), as Half[].</summary>
    Float16,
}

/// <summary>A C-ordered array read from a <c>.npy</c> file: shape and the data as float[], double[], int[], long[] or Half[].</summary>
public sealed record NpyArray(NpyType Type, int[] Shape, Array Data)
{
    /// <summary>Product of the shape (1 for a 0-d array).</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>Shape as NumPy prints it, e.g. "(3, 4)".</summary>
    public string ShapeText => Shape.Length == 1 ? $"({Shape[0]},)" : $"({string.Join(", ", Shape)})";
}
