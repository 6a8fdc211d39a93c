using KernelGen;
using KernelGen.KernelMaps;
using KernelGen.Tensors;

namespace KernelGen.Tests.Kernels;

/// <summary>The geometry cases every sparse-conv kernel is checked on (names are the theory data).</summary>
public static class ConvCases
{
    public sealed record Case(
        ConvGeometry Geometry, SpatialShape Shape, int BatchSize, int InChannels, int OutChannels, bool Bias, bool Relu,
        double Density = 0.3);

    private static ConvGeometry G(ConvKind kind, Triple k, Triple s, Triple p, Triple d) => new(kind, k, s, p, d);

    private static Triple T(int v) => Triple.All(v);

    private static Triple T(int z, int y, int x) => new(z, y, x);

    public static readonly IReadOnlyDictionary<string, Case> All = new Dictionary<string, Case>
    {
        ["subm k1"] = new(G(ConvKind.SubManifold, T(1), T(1), T(0), T(1)), new(4, 5, 6), 1, 3, 5, false, false),
        ["subm k3 bias relu batch2"] = new(G(ConvKind.SubManifold, T(3), T(1), T(1), T(1)), new(5, 6, 7), 2, 5, 7, true, true),
        ["subm k5"] = new(G(ConvKind.SubManifold, T(5), T(1), T(2), T(1)), new(6, 6, 6), 1, 6, 3, false, false),
        ["subm k(3,1,1)"] = new(G(ConvKind.SubManifold, T(3, 1, 1), T(1), T(0), T(1)), new(6, 5, 5), 1, 4, 6, true, false),
        ["subm k3 dilation2"] = new(G(ConvKind.SubManifold, T(3), T(1), T(0), T(2)), new(6, 7, 5), 1, 3, 5, false, true),
        ["sparse k3 s2 p1 bias relu batch2"] = new(G(ConvKind.Sparse, T(3), T(2), T(1), T(1)), new(7, 6, 8), 2, 7, 9, true, true),
        ["sparse k3 s1 p0"] = new(G(ConvKind.Sparse, T(3), T(1), T(0), T(1)), new(5, 6, 6), 1, 5, 6, false, false),
        ["sparse k3 s2 p(0,1,1)"] = new(G(ConvKind.Sparse, T(3), T(2), T(0, 1, 1), T(1)), new(7, 8, 6), 1, 6, 10, true, false),
        ["sparse k(3,1,1) s(2,1,1) p0 batch2"] = new(G(ConvKind.Sparse, T(3, 1, 1), T(2, 1, 1), T(0), T(1)), new(7, 5, 4), 2, 5, 7, false, true),
        ["sparse k3 s2 p1 dilation2"] = new(G(ConvKind.Sparse, T(3), T(2), T(1), T(2)), new(8, 7, 6), 1, 3, 5, false, false),
        ["sparse k5 s2 p2"] = new(G(ConvKind.Sparse, T(5), T(2), T(2), T(1)), new(6, 7, 6), 1, 2, 3, true, false),
        ["sparse k1 s2 p0"] = new(G(ConvKind.Sparse, T(1), T(2), T(0), T(1)), new(5, 6, 7), 1, 3, 2, false, false),
        ["sparse k2 s2 p0"] = new(G(ConvKind.Sparse, T(2), T(2), T(0), T(1)), new(6, 6, 5), 1, 5, 3, false, false),
        ["subm empty"] = new(G(ConvKind.SubManifold, T(3), T(1), T(1), T(1)), new(4, 4, 4), 1, 5, 3, true, true, Density: 0),
        ["sparse empty"] = new(G(ConvKind.Sparse, T(3), T(2), T(1), T(1)), new(4, 4, 4), 2, 5, 3, true, false, Density: 0),
    };

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var name in All.Keys)
        {
            data.Add(name);
        }
        return data;
    }
}
