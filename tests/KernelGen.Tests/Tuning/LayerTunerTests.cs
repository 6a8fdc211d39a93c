using KernelGen.KernelMaps;
using KernelGen.Kernels;
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
        Assert.False(first.Result.FromCache);
        Assert.Null(first.Warning);
        string generic = precision == Precision.W8A8 ? GenericConvKernel.W8A8Name : GenericConvKernel.F32Name;
        var names = layer.Variants.Where(v => v.Precision == precision).Select(v => v.Name).Append(generic).ToHashSet();
        Assert.Equal(names, first.Result.Trials.Select(t => t.Name).ToHashSet());
        Assert.Contains(first.Kernel, layer.Kernels); // the kernel itself, not a name to resolve
        Assert.Equal(first.Result.Winner, first.Kernel.Name);
        Assert.Equal(TrialOutcome.Timed, first.Result.Trials.Single(t => t.Name == first.Kernel.Name).Outcome);
        // On the CPU accelerator the tuner keeps away from barrier-heavy GPU-style kernels.
        Assert.DoesNotContain("GpuStyle", first.Kernel.Name);
        // Tensor-core kernels run here only by emulating the instruction (for tests): candidates, never probed.
        var tensorCore = first.Result.Trials.Where(t => layer.FindKernel(t.Name)!.Shape == KernelShape.TensorCore).ToList();
        Assert.Equal(precision == Precision.W8A8, tensorCore.Count > 0);
        Assert.All(tensorCore, t =>
        {
            Assert.Equal(TrialOutcome.Unavailable, t.Outcome);
            Assert.Contains("emulated", t.Reason);
        });

        var second = new LayerTuner(accelerator, new TuningCache(path), options: options).Tune(layer, precision, input, map);
        Assert.True(second.Result.FromCache);
        Assert.Same(first.Kernel, second.Kernel);
        var forced = new LayerTuner(accelerator, new TuningCache(path), options: options).Tune(layer, precision, input, map, forceRetune: true);
        Assert.False(forced.Result.FromCache);

        // A residual use is another key, and only kernels that declare a residual input compete for it.
        var residual = new LayerTuner(accelerator, new TuningCache(path), options: options).Tune(layer, new KernelNeeds(precision, Residual: true), input, map);
        Assert.False(residual.Result.FromCache);
        Assert.All(residual.Result.Trials, t => Assert.True(layer.FindKernel(t.Name)!.Capabilities.Residual, t.Name));
        Assert.Contains(residual.Result.Trials, t => t.Name == generic);
    }

    [Fact]
    public void A_cached_name_the_layer_does_not_have_or_a_changed_candidate_set_is_retuned_with_a_warning()
    {
        var layer = DownConv.Layer;
        var input = new RandomSparse().Tensor(new SpatialShape(8, 8, 8), layer.InChannels, density: 0.3);
        var map = new CpuKernelMapBuilder().Build(input, layer.Geometry);
        var path = Path.Combine(_folder, "tuning.json");
        var accelerator = fixture.Session.Accelerator;
        var options = new TuningOptions(Warmup: 0, Repeats: 1);
        var key = TuningKey.For(layer, new KernelNeeds(Precision.F32), DeviceNames.Of(accelerator), input.Count);
        var trials = layer.KernelsFor(new KernelNeeds(Precision.F32)).Select(k => new Trial(k.Name, TrialOutcome.Timed, 1.0, null)).ToList();

        // A winner from another build of the layer (a tile that no longer exists).
        new TuningCache(path).Store(new TuningResult(key, "F32_Tile999x16x8_BarrierFree", trials, FromCache: false));
        var stale = new LayerTuner(accelerator, new TuningCache(path), options: options).Tune(layer, Precision.F32, input, map);
        Assert.False(stale.Result.FromCache);
        Assert.Contains("'F32_Tile999x16x8_BarrierFree'", stale.Warning);
        Assert.Contains("re-tuning", stale.Warning);
        Assert.Contains(stale.Kernel, layer.Kernels);

        // The winner exists but the cached trials were over another candidate set.
        new TuningCache(path).Store(new TuningResult(key, GenericConvKernel.F32Name, trials.Take(2).Append(new Trial(GenericConvKernel.F32Name, TrialOutcome.Timed, 1.0, null)).ToList(), FromCache: false));
        var changed = new LayerTuner(accelerator, new TuningCache(path), options: options).Tune(layer, Precision.F32, input, map);
        Assert.False(changed.Result.FromCache);
        Assert.Contains("candidate kernels", changed.Warning);

        // The generic kernel is a candidate like any other: cached as the winner, it is returned as itself.
        new TuningCache(path).Store(new TuningResult(key, GenericConvKernel.F32Name, trials, FromCache: false));
        var generic = new LayerTuner(accelerator, new TuningCache(path), options: options).Tune(layer, Precision.F32, input, map);
        Assert.True(generic.Result.FromCache);
        Assert.Null(generic.Warning);
        Assert.Equal(GenericConvKernel.F32Name, generic.Kernel.Name);
    }

    [Fact]
    public void Tuning_keys_differ_by_tile_set_smoothquant_residual_and_int8_chaining()
    {
        var device = DeviceNames.Of(fixture.Session.Accelerator);
        var keys = new[]
        {
            TuningKey.For(SubmOddChannels.Layer, new KernelNeeds(Precision.W8A8), device, 1000),
            TuningKey.For(SubmOddChannels.Layer, new KernelNeeds(Precision.W8A8, Residual: true), device, 1000),
            TuningKey.For(SubmOddChannels.Layer, new KernelNeeds(Precision.W8A8, Int8Input: true, Int8Output: true), device, 1000),
            TuningKey.For(SubmOddChannels.Layer, new KernelNeeds(Precision.F32), device, 1000),
            TuningKey.For(SubmDilated.Layer, new KernelNeeds(Precision.W8A8), device, 1000),
        };
        Assert.Equal(keys.Length, keys.Select(k => k.Text).Distinct().Count());
        Assert.Contains("tiles 16x4x4,32x16x8", keys[0].Text);
        Assert.Contains("SmoothQuant", keys[0].Text);
        Assert.DoesNotContain("no SmoothQuant", keys[0].Text);
        Assert.Contains("no SmoothQuant", keys[3].Text); // fp32 use of a SmoothQuant layer: the factors play no part
        Assert.Contains(SubmOddChannels.Layer.GeneratorVersion, keys[0].Text);
    }

    [Fact]
    public void Default_choice_without_a_cache_entry_is_the_widest_cpu_simd_variant()
    {
        var accelerator = fixture.Session.Accelerator;
        var choice = Assert.IsAssignableFrom<CpuSimdVariant>(DefaultVariantChoice.Pick(SubmOddChannels.Layer, Precision.W8A8, accelerator));
        Assert.Equal(32, choice.Tile.BlockM); // the larger of the layer's two row tiles
        if (CpuFeatures.Supports(CpuInstructionSet.AvxVnni256))
        {
            Assert.Equal("CpuW8A8_Vnni256_Tile32x16_Smooth", choice.Name);
        }
        using (CpuFeatures.Restrict())
        {
            Assert.Equal("CpuW8A8_Portable_Tile32x16_Smooth", DefaultVariantChoice.Pick(SubmOddChannels.Layer, Precision.W8A8, accelerator).Name);
        }
        // A residual use and an int8-chained one take the same CPU SIMD kernel: every family has the whole epilogue.
        var chained = new KernelNeeds(Precision.W8A8, Residual: true, Int8Input: true, Int8Output: true);
        Assert.Equal(choice.Name, DefaultVariantChoice.Pick(SubmOddChannels.Layer, chained, accelerator).Name);
        Assert.True(DefaultVariantChoice.Pick(SubmOddChannels.Layer, chained, accelerator).Capabilities.Covers(chained, out _));
        Assert.StartsWith("CpuF32_", DefaultVariantChoice.Pick(DownConv.Layer, Precision.F32, accelerator)!.Name);
    }
}
