using KernelGen.Tensors;

namespace KernelGen.Tests.Tensors;

/// <summary>The documented size limits are errors naming the sizes, at exactly the documented boundary.</summary>
public sealed class SizeLimitTests
{
    [Fact]
    public void A_rulebook_larger_than_one_array_is_refused_naming_the_sizes()
    {
        long fits = Array.MaxLength / 27;
        SiteChecks.EnsureRulebookFits(fits, 27);
        var e = Assert.Throws<InvalidDataException>(() => SiteChecks.EnsureRulebookFits(fits + 1, 27));
        Assert.StartsWith($"{fits + 1} output sites × 27 kernel offsets = {(fits + 1) * 27} rulebook entries", e.Message);
        Assert.Equal(79_536_429, fits);
    }

    [Fact]
    public void Features_larger_than_one_array_are_refused_naming_the_sizes()
    {
        long fits = Array.MaxLength / 128;
        SiteChecks.EnsureFeaturesFit(fits, 128);
        var e = Assert.Throws<InvalidDataException>(() => SiteChecks.EnsureFeaturesFit(fits + 1, 128));
        Assert.StartsWith($"{fits + 1} output sites × 128 channels", e.Message);
        Assert.Equal(16_777_215, fits);
    }
}
