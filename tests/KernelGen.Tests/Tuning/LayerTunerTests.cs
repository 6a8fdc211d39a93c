using KernelGen.KernelMaps;
using KernelGen.Tensors;
using KernelGen.Tests.Generated;
using KernelGen.Tests.Support;
using KernelGen.Tuning;
using KernelGen.Variants;

namespace KernelGen.Tests.Tuning;

/// <summary>Real tuning on the CPU accelerator: two generated layers pick a variant and the second run reuses it.</summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class LayerTunerTests(CpuAcceleratorFixture fixture) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("kernelgen-tune-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("KernelGen.Tests.Generated.DownConv", Precision.F32)]
    [InlineData("KernelGen.Tests.Generated.SubmOddChannels", Precision.W8A8)]
    public void Tunes_picks_a_runnable_variant_and_reuses_the_cache(string layerName, Precision precision)
    {
        _ = DownConv.Layer;
        _ = SubmOddChannels.Layer;
        var layer = GeneratedLayers.Find(layerName);
        var input = new RandomSparse().Tensor(new SpatialShape(8, 8, 8), layer.InChannels, density: 0.3);
        var map = new CpuKernelMapBuilder().Build(input, layer.Geometry);
        var path = Path.Combine(_folder, "tuning.json");
        var accelerator = fixture.Session.Accelerator;
        var options = new TuningOptions(Warmup: 1, Repeats: 3);

        var first = new LayerTuner(accelerator, new TuningCache(path), options: options).Tune(layer, precision, input, map);
        Assert.False(first.FromCache);
        var names = layer.Variants.Where(v => v.Precision == precision).Select(v => v.Name).Append(LayerTuner.GenericName).ToHashSet();
        Assert.Equal(names, first.Trials.Select(t => t.Name).ToHashSet());
        Assert.Contains(first.Winner, names);
        Assert.Equal(TrialOutcome.Timed, first.Trials.Single(t => t.Name == first.Winner).Outcome);
        // On the CPU accelerator the tuner keeps away from barrier-heavy GPU-style kernels.
        Assert.DoesNotContain("GpuStyle", first.Winner);

        var second = new LayerTuner(accelerator, new TuningCache(path), options: options).Tune(layer, precision, input, map);
        Assert.True(second.FromCache);
        Assert.Equal(first.Winner, second.Winner);
        var forced = new LayerTuner(accelerator, new TuningCache(path), options: options).Tune(layer, precision, input, map, forceRetune: true);
        Assert.False(forced.FromCache);
    }

    [Fact]
    public void Default_choice_without_a_cache_entry_is_the_widest_cpu_simd_variant()
    {
        var accelerator = fixture.Session.Accelerator;
        var choice = DefaultVariantChoice.Pick(SubmOddChannels.Layer, Precision.W8A8, accelerator)!;
        Assert.Equal(KernelShape.CpuSimd, choice.Shape);
        Assert.Equal(32, choice.Tile.BlockM); // the larger of the layer's two row tiles
        if (CpuFeatures.Supports(CpuInstructionSet.AvxVnni256))
        {
            Assert.Equal("CpuW8A8_Vnni256_Tile32x16_Smooth", choice.Name);
        }
        Assert.StartsWith("CpuF32_", DefaultVariantChoice.Pick(DownConv.Layer, Precision.F32, accelerator)!.Name);
    }
}
