using ILGPU;
using ILGPU.Runtime;

namespace KernelGen.Kernels;

/// <summary>
/// A <see cref="LayerWeights"/> in one accelerator's memory, uploaded once: the fp32 weights in both layouts the kernels
/// read (packed [K, Cin, Cout] for the generated kernels, spconv's [Cout, K, Cin] for the generic one) and the bias,
/// and for a quantized layer the packed int8 weights, the quantize multipliers, the dequantize scales and the bias (and, on first use, the fp16 packing).
/// The buffers live as long as the <see cref="LayerWeights"/> (or the accelerator).
/// </summary>
internal sealed class DeviceLayerWeights
{
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _packed, _spconv, _bias;
    private readonly MemoryBuffer1D<int, Stride1D.Dense>? _int8Packed;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>? _multipliers, _dequantize, _int8Bias;
    private readonly Lazy<MemoryBuffer1D<int, Stride1D.Dense>> _halfPacked;

    internal DeviceLayerWeights(Accelerator accelerator, LayerWeights weights)
    {
        // fp16 weights only for layers that run fp16: uploaded on first use.
        _halfPacked = new(() => accelerator.Allocate1D(weights.Half.Packed));
        _packed = accelerator.Allocate1D(weights.Packed.Packed);
        _spconv = accelerator.Allocate1D(weights.Float.Data);
        _bias = accelerator.Allocate1D(weights.Packed.Bias);
        if (weights.Int8 is { } int8)
        {
            _int8Packed = accelerator.Allocate1D(int8.Packed);
            _multipliers = accelerator.Allocate1D(int8.ActivationMultipliers);
            _dequantize = accelerator.Allocate1D(int8.DequantizeScales);
            _int8Bias = accelerator.Allocate1D(int8.Bias);
        }
    }

    /// <summary>fp32 weights packed [K, Cin, Cout] (the generated kernels).</summary>
    public ArrayView<float> Packed => _packed.View;

    /// <summary>fp32 weights in spconv's layout [Cout, K, Cin] (the generic kernel).</summary>
    public ArrayView<float> Spconv => _spconv.View;

    /// <summary>fp32 bias [Cout] (zeros when the layer has none).</summary>
    public ArrayView<float> Bias => _bias.View;

    /// <summary>fp16 weights packed two input channels to a word [K · Pairs, Cout].</summary>
    public ArrayView<int> HalfPacked => _halfPacked.Value.View;

    /// <summary>int8 weights packed four input channels to a word [K, Words, Cout].</summary>
    public ArrayView<int> Int8Packed => Require(_int8Packed).View;

    /// <summary>Quantize multipliers m_c = 1 / (s_c · s_x) [Cin].</summary>
    public ArrayView<float> ActivationMultipliers => Require(_multipliers).View;

    /// <summary>Dequantize scales s_x · s_w[n] [Cout].</summary>
    public ArrayView<float> DequantizeScales => Require(_dequantize).View;

    /// <summary>The W8A8 epilogue's bias [Cout].</summary>
    public ArrayView<float> Int8Bias => Require(_int8Bias).View;

    private static T Require<T>(T? buffer)
        where T : class => buffer ?? throw new InvalidOperationException("the layer's weights were not quantized (LayerWeights.Quantized)");
}
