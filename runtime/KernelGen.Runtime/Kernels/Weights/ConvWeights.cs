using KernelGen.KernelMaps;

namespace KernelGen.Kernels;

/// <summary>
/// Conv weights in spconv's layout [Cout, kD, kH, kW, Cin] (row-major) with an optional bias [Cout].
/// </summary>
public sealed class ConvWeights
{
    /// <summary>Wraps <paramref name="data"/> after checking its length against the shape.</summary>
    public ConvWeights(float[] data, int outChannels, Triple kernel, int inChannels, float[]? bias = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (outChannels <= 0 || inChannels <= 0)
        {
            throw new ArgumentException($"weight channels must be positive, got Cout={outChannels}, Cin={inChannels}");
        }
        if (!kernel.All(v => v >= 1))
        {
            throw new ArgumentException($"weight kernel {kernel} must be at least 1 on every axis");
        }
        long expected = (long)outChannels * kernel.Product * inChannels;
        if (data.LongLength != expected)
        {
            throw new ArgumentException(
                $"weight has {data.LongLength} values but [Cout={outChannels}, kD={kernel.Z}, kH={kernel.Y}, kW={kernel.X}, Cin={inChannels}] needs {expected}");
        }
        if (bias is not null && bias.Length != outChannels)
        {
            throw new ArgumentException($"bias has {bias.Length} values but the weight has Cout={outChannels}");
        }
        // A NaN or infinite weight would not fail loudly everywhere: W8A8 quantization turns it into a silent zero.
        int bad = Array.FindIndex(data, v => !float.IsFinite(v));
        if (bad >= 0)
        {
            int c = bad % inChannels, rest = bad / inChannels, x = rest % kernel.X, y = rest / kernel.X % kernel.Y;
            int z = rest / kernel.X / kernel.Y % kernel.Z, n = rest / kernel.Product;
            throw new ArgumentException($"weight [Cout {n}, kD {z}, kH {y}, kW {x}, Cin {c}] is {data[bad].ToString(System.Globalization.CultureInfo.InvariantCulture)}; weights must be finite");
        }
        if (bias is not null && Array.FindIndex(bias, v => !float.IsFinite(v)) is var badBias and >= 0)
        {
            throw new ArgumentException($"bias of output channel {badBias} is {bias[badBias].ToString(System.Globalization.CultureInfo.InvariantCulture)}; biases must be finite");
        }
        Data = data;
        OutChannels = outChannels;
        Kernel = kernel;
        InChannels = inChannels;
        Bias = bias;
    }

    /// <summary>
    /// Deterministic stand-in weights for tools, studies and synthetic networks (no trained checkpoint at hand): He-style
    /// fan-in scaled uniform weights, so activations keep their scale through ReLU layers, times <paramref name="gain"/>
    /// (e.g. ½ for a conv whose output joins a residual), and with <paramref name="bias"/> a small positive bias like a
    /// folded BatchNorm's shift. The weights are drawn first, then the biases, from <paramref name="random"/>.
    /// </summary>
    public static ConvWeights FanIn(Random random, int outChannels, Triple kernel, int inChannels, bool bias = true, double gain = 1.0)
    {
        ArgumentNullException.ThrowIfNull(random);
        var data = new float[(long)outChannels * kernel.Product * inChannels];
        double bound = Math.Sqrt(3) * Math.Sqrt(2.0 / (kernel.Product * inChannels)) * gain;
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (float)((random.NextDouble() * 2 - 1) * bound);
        }
        var biases = bias ? Enumerable.Range(0, outChannels).Select(_ => (float)(random.NextDouble() * 0.1)).ToArray() : null;
        return new ConvWeights(data, outChannels, kernel, inChannels, biases);
    }

    /// <summary>−W and −bias: what <see cref="PreActivation"/> runs beside W to undo a baked-in ReLU.</summary>
    public ConvWeights Negated() => new(Array.ConvertAll(Data, w => -w), OutChannels, Kernel, InChannels, Bias is null ? null : Array.ConvertAll(Bias, b => -b));

    /// <summary>[Cout, kD, kH, kW, Cin] row-major.</summary>
    public float[] Data { get; }

    /// <summary>Cout.</summary>
    public int OutChannels { get; }

    /// <summary>(kD, kH, kW).</summary>
    public Triple Kernel { get; }

    /// <summary>Cin.</summary>
    public int InChannels { get; }

    /// <summary>[Cout] or null.</summary>
    public float[]? Bias { get; }

    /// <summary>Throws when these weights cannot run on <paramref name="map"/> with <paramref name="inputChannels"/> channels.</summary>
    public void EnsureCompatible(KernelMap map, int inputChannels)
    {
        ArgumentNullException.ThrowIfNull(map);
        if (map.Geometry.Kernel != Kernel)
        {
            throw new ArgumentException($"weight kernel {Kernel} does not match the kernel map's kernel {map.Geometry.Kernel}");
        }
        if (inputChannels != InChannels)
        {
            throw new ArgumentException($"input features have {inputChannels} channels but the weight expects Cin={InChannels}");
        }
    }
}
