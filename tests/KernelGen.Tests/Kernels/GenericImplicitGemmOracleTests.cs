using KernelGen;
using ILGPU.Runtime;
using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Tensors;
using KernelGen.Tests.Support;

namespace KernelGen.Tests.Kernels;

/// <summary>The generic ILGPU kernel against the dense double conv3d, on fresh random inputs with poisoned outputs.</summary>
public abstract class GenericImplicitGemmOracleTests
{
    protected abstract Accelerator? Accelerator { get; }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_the_dense_conv3d(string caseName)
    {
        Assert.SkipWhen(Accelerator is null, "no CUDA device on this machine");
        var c = ConvCases.All[caseName];
        var random = new RandomSparse();
        string context = $"{caseName} (seed {random.Seed})";
        var input = random.Tensor(c.Shape, c.InChannels, c.BatchSize, c.Density);
        var weights = new ConvWeights(
            random.Normal(c.OutChannels * c.Geometry.KernelVolume * c.InChannels), c.OutChannels, c.Geometry.Kernel, c.InChannels,
            c.Bias ? random.Normal(c.OutChannels) : null);
        var activation = c.Relu ? Activation.Relu : Activation.None;

        var map = new CpuKernelMapBuilder().Build(input, c.Geometry);
        var output = new float[map.OutputCount * c.OutChannels];
        Array.Fill(output, float.NaN);
        new GenericImplicitGemm(Accelerator!).Run(input, map, weights, activation, output);
        var actual = new SparseTensor(output, map.OutputCoordinates, c.OutChannels, map.OutputShape, map.BatchSize);

        var expected = DenseConv3dOracle.Forward(input, weights.Data, c.OutChannels, c.Geometry, weights.Bias, c.Relu);
        Assert.Equal(expected.OutputShape, map.OutputShape);
        OracleAssert.Matches(actual, expected, context);
        if (c.Geometry.Kind == ConvKind.SubManifold)
        {
            Assert.Same(input.Coordinates, map.OutputCoordinates); // SubM: output sites are the input sites, in input order
        }
        else
        {
            OracleAssert.SortedAndUnique(map.OutputCoordinates, context);
        }
    }

    [Theory]
    [InlineData(3, 2, 1)]
    [InlineData(3, 1, 1)]
    [InlineData(2, 2, 0)]
    public void Inverse_conv_matches_the_dense_transposed_conv(int kernel, int stride, int padding)
    {
        Assert.SkipWhen(Accelerator is null, "no CUDA device on this machine");
        var random = new RandomSparse();
        var forwardInput = random.Tensor(new SpatialShape(6, 7, 5), 4, batchSize: 2);
        var geometry = ConvGeometry.Uniform(ConvKind.Sparse, kernel, stride, padding);
        var cache = new KernelMapCache(new CpuKernelMapBuilder());
        var forward = cache.GetOrBuild("down1", forwardInput, geometry);
        var inverse = cache.GetInverse("down1");

        // The inverse conv's input lives on the forward conv's output sites.
        const int cin = 6, cout = 5;
        var input = new SparseTensor(random.Normal(forward.OutputCount * cin), forward.OutputCoordinates, cin, forward.OutputShape, 2);
        var weights = new ConvWeights(random.Normal(cout * geometry.KernelVolume * cin), cout, geometry.Kernel, cin);
        var output = new float[inverse.OutputCount * cout];
        Array.Fill(output, float.NaN);
        new GenericImplicitGemm(Accelerator!).Run(input, inverse, weights, Activation.None, output);

        Assert.Same(forwardInput.Coordinates, inverse.OutputCoordinates);
        Assert.Equal(forwardInput.SpatialShape, inverse.OutputShape);
        var expected = DenseConv3dOracle.Inverse(input, forwardInput, weights.Data, cout, geometry);
        OracleAssert.Matches(
            new SparseTensor(output, inverse.OutputCoordinates, cout, inverse.OutputShape, 2), expected,
            $"inverse k{kernel} s{stride} p{padding} (seed {random.Seed})");
    }

    public static TheoryData<string> Cases() => ConvCases.Names();
}

[Collection(CpuAcceleratorCollection.Name)]
public sealed class CpuGenericImplicitGemmOracleTests(CpuAcceleratorFixture fixture) : GenericImplicitGemmOracleTests
{
    protected override Accelerator? Accelerator => fixture.Session.Accelerator;
}

[Collection(CudaAcceleratorCollection.Name)]
public sealed class CudaGenericImplicitGemmOracleTests(CudaAcceleratorFixture fixture) : GenericImplicitGemmOracleTests
{
    protected override Accelerator? Accelerator => fixture.Session?.Accelerator;
}
