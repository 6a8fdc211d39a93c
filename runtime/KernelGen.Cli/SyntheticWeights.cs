using KernelGen.KernelMaps;
using KernelGen.Kernels;

namespace KernelGen.Cli;

/// <summary>
/// Deterministic stand-in weights (no trained checkpoint can be downloaded here): He-style fan-in scaled uniform
/// weights, so activations keep their scale through ReLU layers, and a small positive bias like a folded BatchNorm's
/// shift.
/// </summary>
internal static class SyntheticWeights
{
    public static ConvWeights FanIn(Random random, int cout, Triple kernel, int cin, bool bias = true)
    {
        var data = new float[cout * kernel.Product * cin];
        double bound = Math.Sqrt(3) * Math.Sqrt(2.0 / (kernel.Product * cin));
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (float)((random.NextDouble() * 2 - 1) * bound);
        }
        var biases = bias ? Enumerable.Range(0, cout).Select(_ => (float)(random.NextDouble() * 0.1)).ToArray() : null;
        return new ConvWeights(data, cout, kernel, cin, biases);
    }
}
