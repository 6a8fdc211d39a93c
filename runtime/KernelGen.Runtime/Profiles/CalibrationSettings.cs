namespace KernelGen.Profiles;

/// <summary>
/// How a calibration decides, the same for <c>kernelgen calibrate</c> (and its shards' merge) and the main job: the
/// observer, the accuracy target, the post-training methods, and the sample — <see cref="SampleSize"/> scans spread
/// evenly over the set (<see cref="CalibrationSet.Sample"/>), on which scales and the precision policy are decided and
/// whose sensors the profile records.
/// </summary>
/// <param name="Observer">How activation scales are taken (<see cref="ScaleObserver.Auto"/>: per layer, the best on the sample).</param>
/// <param name="Target">What the network output must keep of fp32 on every sample scan.</param>
/// <param name="Methods">Post-training methods beyond SmoothQuant.</param>
/// <param name="SampleSize">Scans the decisions are made on (at most the set's size).</param>
public sealed record CalibrationSettings(
    ScaleObserver Observer, CalibrationTarget Target, PtqMethods Methods = PtqMethods.Default, int SampleSize = CalibrationSettings.DefaultSampleSize)
{
    /// <summary>The default sample: 4 scans.</summary>
    public const int DefaultSampleSize = 4;

    /// <summary>The defaults: automatic observer, cosine ≥ 0.999, bias correction, 4 sample scans.</summary>
    public static CalibrationSettings Default { get; } = new(ScaleObserver.Auto, new CalibrationTarget());
}
