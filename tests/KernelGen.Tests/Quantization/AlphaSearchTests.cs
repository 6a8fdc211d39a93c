using KernelGen;
using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Quantization;
using KernelGen.Tensors;
using KernelGen.Tests.Support;
using KernelGen.Variants;

namespace KernelGen.Tests.Quantization;

[Collection(CpuAcceleratorCollection.Name)]
public sealed class AlphaSearchTests(CpuAcceleratorFixture fixture)
{
    [Fact]
    public void Returns_the_minimum_of_its_grid_and_each_point_is_that_alphas_error()
    {
        var random = new RandomSparse();
        var input = random.Tensor(new SpatialShape(6, 6, 6), 8, density: 0.3);
        for (int i = 3; i < input.Features.Length; i += 8)
        {
            input.Features[i] *= 40;
        }
        var map = new CpuKernelMapBuilder().Build(input, ConvGeometry.Uniform(ConvKind.SubManifold, 3, 1, 1));
        var weights = new ConvWeights(random.Normal(8 * 27 * 8), 8, Triple.All(3), 8, random.Normal(8));
        var reference = ReferenceSparseConvolution.Run(input, map, weights, Activation.Relu);
        var layer = LayerDescriptor.Generic("alpha", map.Geometry, 8, 8, Activation.Relu, precisions: [Precision.W8A8], smoothQuant: true);
        var kernel = layer.GenericKernel(Precision.W8A8);

        var result = AlphaSearch.Search(fixture.Session.Accelerator, kernel, input, map, weights, reference);
        Assert.Equal(AlphaSearch.DefaultGrid, result.Curve.Select(p => p.Alpha));
        Assert.Equal(result.Curve.Min(p => p.Error.RelativeL2), result.BestError.RelativeL2);
        Assert.Equal(result.Curve.MinBy(p => p.Error.RelativeL2)!.Alpha, result.BestAlpha);

        // Spot-check one point independently: quantize at that alpha and compare.
        var point = result.Curve[7];
        var quantized = new LayerWeights(weights).Quantized(LayerQuantization.Calibrate(weights, LayerQuantizer.ChannelMaxima(input.Features, 8), smoothQuant: true, point.Alpha));
        var output = kernel.Run(fixture.Session.Accelerator, input, map, quantized).Features;
        Assert.Equal(ErrorMetrics.Compare(output, reference).RelativeL2, point.Error.RelativeL2, 12);
        Assert.Throws<ArgumentException>(() => AlphaSearch.Search(fixture.Session.Accelerator, layer.GenericKernel(Precision.F32), input, map, weights, reference));
    }
}
