using KernelGen;
using KernelGen.KernelMaps;
using KernelGen.Kernels;
using KernelGen.Tensors;
using KernelGen.Tests.Generated;
using KernelGen.Tests.Support;
using KernelGen.Variants;

namespace KernelGen.Tests.Kernels;

/// <summary>
/// <see cref="ConvCall.Accumulators"/> is a declared capability: the CPU W8A8 kernels write the int32 sums (checked
/// exactly in CpuVariantTests), and every other kernel refuses a call that asks for them instead of leaving the array
/// as it was.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class AccumulatorCapabilityTests(CpuAcceleratorFixture fixture)
{
    [Fact]
    public void Only_the_cpu_w8a8_kernels_declare_the_sums_and_the_others_refuse_them()
    {
        var layer = SubmOddChannels.Layer;
        Assert.All(layer.Kernels, k => Assert.Equal(k is CpuW8A8Variant, k.Capabilities.Accumulators));

        var random = new RandomSparse();
        var input = random.Tensor(new SpatialShape(4, 4, 4), layer.InChannels, density: 0.3);
        var map = new CpuKernelMapBuilder().Build(input, layer.Geometry);
        var weights = new LayerWeights(new ConvWeights(random.Normal(10 * 27 * 7), 10, Triple.All(3), 7, random.Normal(10)))
            .Quantized(new LayerQuantization(0.05f, Enumerable.Repeat(1f, 7).ToArray()));
        int elements = map.OutputCount * 10;
        foreach (var kernel in layer.Kernels.Where(k => k.Capabilities.Precision == Precision.W8A8 && !k.Capabilities.Accumulators))
        {
            var sums = new int[elements];
            var e = Assert.Throws<NotSupportedException>(() => kernel.Run(fixture.Session.Accelerator, new ConvCall
            {
                Map = map, Weights = weights, Input = input.Features, Output = new float[elements], Accumulators = sums,
            }));
            Assert.Contains($"{kernel.Name} does not support the int32 sums before the epilogue (ConvCall.Accumulators)", e.Message);
        }
    }
}
