using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;
using KernelGen.Kernels;

namespace KernelGen.Quantization;

/// <summary>
/// Per-channel max |x| of device-resident features [N, C], for dynamic W8A8 quantization without bringing the
/// activations to the host: one grid-stride pass with an atomic max per element on the IEEE bits of |x| (for
/// non-negative floats the bit patterns order like the values), then C values copied back. The same maxima as
/// <see cref="LayerQuantizer.ChannelMaxima"/> on the host, so both give the same scales.
/// </summary>
internal sealed class DeviceChannelMaxima
{
    private static readonly ConditionalWeakTable<Accelerator, DeviceChannelMaxima> ByAccelerator = new();
    private readonly Accelerator _accelerator;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<int>, int, int> _kernel;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<ushort>, ArrayView<int>, int, int> _halfKernel;

    private DeviceChannelMaxima(Accelerator accelerator)
    {
        _accelerator = accelerator;
        _kernel = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<int>, int, int>(Kernel);
        _halfKernel = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<ushort>, ArrayView<int>, int, int>(HalfKernel);
    }

    /// <summary>
    /// max |x| of each channel of fp16 <paramref name="halves"/> (IEEE half bits: an overflowed value reads as ∞, a NaN
    /// as NaN); waits for the stream.
    /// </summary>
    public float[] Compute(AcceleratorStream stream, ArrayView<ushort> halves, int channels) =>
        Reduce(stream, halves.Length, channels, (width, maxima, elements) => _halfKernel(stream, width, halves, maxima, elements, width))
            .Select(b => __Internals.TensorCore.HalfToFloat(b)).ToArray();

    private static void HalfKernel(Index1D thread, ArrayView<ushort> halves, ArrayView<int> maxima, int elements, int width)
    {
        int channels = (int)maxima.Length;
        for (int i = thread; i < elements; i += width)
        {
            // Without the sign bit, half bit patterns order like the magnitudes (∞ above every finite, NaN above ∞).
            Atomic.Max(ref maxima[i % channels], halves[i] & 0x7FFF);
        }
    }

    /// <summary>The reducer for <paramref name="accelerator"/> (its kernel compiled once).</summary>
    public static DeviceChannelMaxima For(Accelerator accelerator) =>
        ByAccelerator.GetValue(accelerator ?? throw new ArgumentNullException(nameof(accelerator)), a => new DeviceChannelMaxima(a));

    /// <summary>max |x| of each of <paramref name="channels"/> channels of <paramref name="features"/>; waits for the stream.</summary>
    public float[] Compute(AcceleratorStream stream, ArrayView<float> features, int channels) =>
        Reduce(stream, features.Length, channels, (width, maxima, elements) => _kernel(stream, width, features, maxima, elements, width))
            .Select(BitConverter.Int32BitsToSingle).ToArray();

    /// <summary>
    /// The per-channel maxima of a view of <paramref name="length"/> elements as the bits <paramref name="launch"/>'s
    /// kernel reduced them to (grid width, maxima, elements); waits for the stream.
    /// </summary>
    private int[] Reduce(AcceleratorStream stream, long length, int channels, Action<int, ArrayView<int>, int> launch)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        using var maxima = _accelerator.Allocate1D<int>(channels);
        maxima.MemSetToZero(stream);
        int elements = checked((int)length);
        if (elements > 0)
        {
            launch(GridStride.Width(_accelerator, elements), maxima.View, elements);
        }
        var bits = new int[channels];
        maxima.View.CopyToCPU(stream, bits);
        stream.Synchronize();
        return bits;
    }

    private static void Kernel(Index1D thread, ArrayView<float> features, ArrayView<int> maxima, int elements, int width)
    {
        int channels = (int)maxima.Length;
        for (int i = thread; i < elements; i += width)
        {
            Atomic.Max(ref maxima[i % channels], (int)Interop.FloatAsInt(Math.Abs(features[i])));
        }
    }
}
