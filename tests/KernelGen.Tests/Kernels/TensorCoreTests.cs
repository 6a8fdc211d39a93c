using KernelGen.Kernels;
using KernelGen.__Internals;

namespace KernelGen.Tests.Kernels;

/// <summary>
/// The fp16 conversions the tensor-core kernels use off CUDA (integer arithmetic every ILGPU backend compiles) against
/// .NET's <see cref="Half"/>, an independent implementation of IEEE binary16 rounding to nearest even.
/// </summary>
public sealed class TensorCoreTests
{
    [Fact]
    public void Half_bits_round_to_nearest_even_like_System_Half_on_every_kind_of_value()
    {
        var random = new Random(20261126);
        var values = new List<float>
        {
            0f, -0f, 1f, -1f, 65504f, 65519.99f, 65520f, -65520f, 1e6f, float.PositiveInfinity, float.NegativeInfinity,
            6.1035156e-5f, 6.097555e-5f, 5.9604645e-8f, 2.9802322e-8f, 2.9802326e-8f, 8.940697e-8f, 1e-10f, float.Epsilon,
            1.00048828125f, 1.00146484375f, 2049f, 2051f, 0.1f, -3.14159f,
        };
        for (int i = 0; i < 200_000; i++)
        {
            // Random bit patterns cover every exponent, and ties (low 13 bits 0x1000) appear with extra weight.
            uint bits = (uint)random.NextInt64(0, 1L << 32);
            if (i % 4 == 0)
            {
                bits = (bits & ~0x1FFFu) | 0x1000u;
            }
            values.Add(BitConverter.UInt32BitsToSingle(bits));
        }
        foreach (float value in values)
        {
            int expected = BitConverter.HalfToUInt16Bits((Half)value);
            int actual = TensorCore.HalfBits(value);
            if (float.IsNaN(value))
            {
                Assert.True(Half.IsNaN(BitConverter.UInt16BitsToHalf((ushort)actual)), $"NaN {BitConverter.SingleToUInt32Bits(value):X8} → {actual:X4}");
                continue;
            }
            Assert.True(expected == actual, $"{value:R} ({BitConverter.SingleToUInt32Bits(value):X8}): System.Half {expected:X4}, TensorCore {actual:X4}");
            Assert.Equal((float)(Half)value, TensorCore.RoundToHalf(value));
        }
    }

    [Fact]
    public void Half_to_float_is_exact_for_every_fp16_value()
    {
        for (int bits = 0; bits < 1 << 16; bits++)
        {
            var half = BitConverter.UInt16BitsToHalf((ushort)bits);
            float actual = TensorCore.HalfToFloat(bits);
            if (Half.IsNaN(half))
            {
                Assert.True(float.IsNaN(actual), $"{bits:X4}");
                continue;
            }
            Assert.True(BitConverter.SingleToUInt32Bits((float)half) == BitConverter.SingleToUInt32Bits(actual), $"{bits:X4}: {(float)half:R} vs {actual:R}");
        }
    }

    [Fact]
    public void Packed_halves_put_the_lower_channel_in_the_low_half()
    {
        int packed = TensorCore.PackHalves(1f, -2f);
        Assert.Equal(BitConverter.HalfToUInt16Bits((Half)1f), packed & 0xFFFF);
        Assert.Equal(BitConverter.HalfToUInt16Bits((Half)(-2f)), (packed >> 16) & 0xFFFF);
    }
}
