using KernelGen.Quantization;

namespace KernelGen.Tests.Quantization;

/// <summary>The per-channel max|x| that SmoothQuant factors and dynamic scales are made of.</summary>
public sealed class ChannelMaximaTests
{
    [Fact]
    public void Per_channel_maxima_are_exact_and_the_scale_is_the_smoothed_maximum_over_127()
    {
        // Rows (1, -7, 2) (0.5, 3, -1) (-4, 2, 0) (6, 1, 1).
        float[] features = [1, -7, 2, 0.5f, 3, -1, -4, 2, 0, 6, 1, 1];
        var maxima = LayerQuantizer.ChannelMaxima(features, 3);
        Assert.Equal([6f, 7f, 2f], maxima);
        Assert.Equal(7f / 127, LayerQuantizer.ScaleOf(maxima, null));
        Assert.Equal(Math.Max(6f / 0.5f, 7f / 2f) / 127, LayerQuantizer.ScaleOf(maxima, [0.5f, 2f, 1f]), 6);
        Assert.Equal(1f, LayerQuantizer.ScaleOf(new float[3], null)); // all zeros: a finite scale
        Assert.Equal(new float[3], LayerQuantizer.ChannelMaxima([], 3));
        Assert.Contains("are not [N, 3]", Assert.Throws<ArgumentException>(() => LayerQuantizer.ChannelMaxima([1, 2], 3)).Message);
    }
}
