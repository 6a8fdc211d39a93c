using System.Text;
using KernelGen.Profiles;
using KernelGen.Tests.Support;

namespace KernelGen.Tests.Properties;

/// <summary>
/// Quantization profiles and shard statistics, damaged (truncated, bytes changed, inserted, appended): read as what they
/// say or refused with a one-line <see cref="InvalidDataException"/> — never another exception, never a scale that is not
/// positive and finite, never a histogram with negative counts.
/// </summary>
public sealed class ProfileFileProperties : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("kernelgen-profile-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void A_damaged_profile_is_read_or_refused()
    {
        var agreement = new OutputAgreement(0.9991, 0.9993, 27.5, double.PositiveInfinity);
        var profile = new QuantizationProfile("net", "sha256:" + new string('a', 64), "sha256:" + new string('b', 64), ["a.bin", "b.bin"], ["a.bin"],
            ScaleObserver.Auto, "cosine ≥ 0.999", agreement, [new PolicyStep(2, null, agreement, 12.5), new PolicyStep(1, "c2", agreement, 14.25)],
        [
            new LayerProfile("c1", true, 0.02f, ScaleObserver.Percentile, 0.5, [1f, 2f, 0.5f, 1.5f], [3f, 4f], 0.01, 0.001, 0.03f),
            new LayerProfile("c2", false, 0.05f, ScaleObserver.Max, null, null, null, 0.05, 0.01, 0.05f),
            new LayerProfile("c0", false),
        ]);
        var path = Path.Combine(_folder, "p.json");
        profile.Save(path);
        Assert.Equal(profile, QuantizationProfile.Load(path));
        Fuzz.Check(Fuzz.Damaged(File.ReadAllBytes(path)), bytes =>
            Fuzz.ReturnsOrRefuses<QuantizationProfile, InvalidDataException>(() => QuantizationProfile.Parse(Encoding.UTF8.GetString(bytes), "p.json"),
                read => Assert.All(read.Layers.Where(l => l.ActivationScale is not null), l => Assert.True(l.ActivationScale > 0 && float.IsFinite(1f / l.ActivationScale!.Value)))),
            1000, stream: 41);
    }

    [Fact]
    public void A_damaged_shard_file_is_read_or_refused()
    {
        var statistics = new CalibrationStatistics("net", "sha256:n", "sha256:w", [("c1", 3)]);
        statistics.Add(new CalibrationScan(0, "a.bin"), _ => new float[] { 0, 1, -2, 3.5f, 0.001f, 1e-12f, 7, -8, 9 });
        var path = Path.Combine(_folder, "s.json");
        statistics.Save(path);
        Assert.True(statistics.Nodes["c1"].SameAs(CalibrationStatistics.Load(path).Nodes["c1"]));
        Fuzz.Check(Fuzz.Damaged(File.ReadAllBytes(path)), bytes =>
            Fuzz.ReturnsOrRefuses<CalibrationStatistics, InvalidDataException>(() => CalibrationStatistics.Parse(Encoding.UTF8.GetString(bytes), "s.json"),
                read => Assert.All(read.Nodes.Values, n => Assert.All(n.Histograms, h => Assert.All(h, count => Assert.True(count >= 0))))),
            1000, stream: 42);
    }
}
