namespace KernelGen.Models.Onnx;

/// <summary>
/// The order of the three spatial axes in an ONNX sparse-conv graph: in its spatial shapes, kernel sizes, strides and
/// paddings, and in each weight's kernel dimensions. spconv and KernelGen use (z, y, x); NVIDIA's CUDA-CenterPoint
/// exports (x, y, z) (spatial shape [1440, 1440, 40]), so its weights are [Cout, kx, ky, kz, Cin].
/// </summary>
public enum OnnxAxisOrder
{
    /// <summary>
    /// From the first conv's <c>input_spatial_shape</c>: the description's grid as given (z, y, x) or reversed (x, y, z);
    /// otherwise the flat axis of a LiDAR grid (the smallest extent) says where z is.
    /// </summary>
    Auto,

    /// <summary>(z, y, x): spconv's and KernelGen's order.</summary>
    Zyx,

    /// <summary>(x, y, z): CUDA-CenterPoint's order.</summary>
    Xyz,
}
