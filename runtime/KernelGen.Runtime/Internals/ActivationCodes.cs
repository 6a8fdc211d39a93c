using System.ComponentModel;
using ILGPU.Runtime.Cuda;

namespace KernelGen.__Internals;

/// <summary>
/// What an int8 ILGPU kernel does differently per <see cref="ActivationFormat"/>: quantize an activation to its code, the
/// four-way dot product of packed activation codes with packed signed weights, and the tensor-core multiply. Kernels are
/// generic over it (<c>Kernel&lt;TCode&gt; where TCode : struct, IActivationCode</c>) and call <c>default(TCode)</c>'s
/// methods, which ILGPU resolves at compile time: one kernel text, one compiled kernel per format, no branch.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IActivationCode
{
    /// <summary>The code of <paramref name="value"/> (already multiplied by 1 / (s_c · s_x)): rounded half to even, clamped; NaN → 0.</summary>
    int Quantize(float value);

    /// <summary><paramref name="accumulator"/> + the four products of activation codes <paramref name="a"/> and signed weights <paramref name="w"/>.</summary>
    int Dot4(int a, int w, int accumulator);

    /// <summary>D = A·B + C of a 16 × 8 × 32 tensor-core tile, A activation codes, B signed weights (every lane of the warp together).</summary>
    TensorCore.Int32x4 Mma(int a0, int a1, int a2, int a3, int b0, int b1, TensorCore.Int32x4 c);
}

/// <summary>Symmetric int8 activations: <c>dp4a.s32.s32</c>, <c>mma … .s8.s8</c>.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public struct S8Code : IActivationCode
{
    /// <inheritdoc />
    public readonly int Quantize(float value) => Int8Math.Quantize(value, -127, 127);

    /// <inheritdoc />
    public readonly int Dot4(int a, int w, int accumulator) => Int8Math.Dot4(a, w, accumulator);

    /// <inheritdoc />
    public readonly TensorCore.Int32x4 Mma(int a0, int a1, int a2, int a3, int b0, int b1, TensorCore.Int32x4 c) =>
        TensorCore.MmaS8(a0, a1, a2, a3, b0, b1, c);
}

/// <summary>Unsigned 8-bit activations: <c>dp4a.u32.s32</c>, <c>mma … .u8.s8</c>.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public struct U8Code : IActivationCode
{
    /// <inheritdoc />
    public readonly int Quantize(float value) => Int8Math.Quantize(value, 0, 255);

    /// <inheritdoc />
    public readonly int Dot4(int a, int w, int accumulator) => Int8Math.Dot4Unsigned(a, w, accumulator);

    /// <inheritdoc />
    public readonly TensorCore.Int32x4 Mma(int a0, int a1, int a2, int a3, int b0, int b1, TensorCore.Int32x4 c) =>
        TensorCore.MmaU8S8(a0, a1, a2, a3, b0, b1, c);
}
