namespace KernelGen.Kernels;

/// <summary>
/// fp32 weights packed for the generated kernels: [K, Cin, Cout] (output channels contiguous, so a tile's weight loads
/// coalesce on GPUs and a register tile reads consecutive floats), plus the bias (zeros when the layer has none).
/// </summary>
internal sealed class F32LayerWeights
{
    private F32LayerWeights(float[] packed, float[] bias, int inChannels, int kernelVolume, int outChannels)
    {
        Packed = packed;
        Bias = bias;
        InChannels = inChannels;
        KernelVolume = kernelVolume;
        OutChannels = outChannels;
    }

    /// <summary>[K, Cin, Cout].</summary>
    public float[] Packed { get; }

    /// <summary>[Cout].</summary>
    public float[] Bias { get; }

    /// <summary>Cin.</summary>
    public int InChannels { get; }

    /// <summary>K.</summary>
    public int KernelVolume { get; }

    /// <summary>Cout.</summary>
    public int OutChannels { get; }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, (float[] Weights, float[] Bias)> _padded = new();

    /// <summary>
    /// The weights as [K, Cin, CoutPadded] and the bias as [CoutPadded], Cout zero-padded to a multiple of
    /// <paramref name="lanes"/> so CPU SIMD kernels load whole vectors (computed once per width). Where Cout already is
    /// a multiple (16 to 128 channels at 8 or 16 lanes), that is <see cref="Packed"/> itself, not a copy: a copy per
    /// width held CenterPoint's 11 MB of weights twice more for the whole run (#34).
    /// </summary>
    public (float[] Weights, float[] Bias) PaddedForLanes(int lanes) => _padded.GetOrAdd(lanes, width =>
    {
        if (OutChannels % width == 0)
        {
            return (Packed, Bias);
        }
        int padded = (OutChannels + width - 1) / width * width;
        var weights = new float[KernelVolume * InChannels * padded];
        for (int row = 0; row < KernelVolume * InChannels; row++)
        {
            Array.Copy(Packed, row * OutChannels, weights, row * padded, OutChannels);
        }
        var bias = new float[padded];
        Array.Copy(Bias, bias, OutChannels);
        return (weights, bias);
    });

    /// <summary>Packs spconv-layout weights [Cout, kD, kH, kW, Cin].</summary>
    public static F32LayerWeights From(ConvWeights weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        int cout = weights.OutChannels, cin = weights.InChannels, k = weights.Kernel.Product;
        var packed = new float[weights.Data.Length];
        for (int n = 0; n < cout; n++)
        {
            for (int offset = 0; offset < k; offset++)
            {
                for (int c = 0; c < cin; c++)
                {
                    packed[(offset * cin + c) * cout + n] = weights.Data[(n * k + offset) * cin + c];
                }
            }
        }
        return new F32LayerWeights(packed, weights.Bias?.ToArray() ?? new float[cout], cin, k, cout);
    }
}
