using KernelGen.Models;
using KernelGen.Points;
using KernelGen.Tests.Support;

namespace KernelGen.Tests.Points;

/// <summary>
/// Captures read as a multi-sweep model reads its input: a revolution with the capture's earlier revolutions as sweeps,
/// each with its time lag, and — for calibration — never the held-out revolution among them.
/// </summary>
public sealed class CaptureSweepsTests
{
    [Fact]
    public void A_revolution_takes_its_earlier_revolutions_as_sweeps_with_their_lag()
    {
        var capture = VelodynePcapReader.Read(SharedData.ShippedCapture());
        var complete = capture.Revolutions.Where(r => r.IsComplete).ToList();
        var key = complete[^1];
        double period = capture.RevolutionSeconds;
        // HDL-32E: 46.08 µs per firing, ~2400 firings per revolution: about 9 revolutions a second.
        Assert.InRange(period, 0.09, 0.13);
        var swept = capture.Sweeps(key.Index);
        var earlier = capture.Revolutions.Where(r => r.Index < key.Index && r.Points.Count > 0).ToList();
        Assert.True(earlier.Count >= 2, "the capture has two revolutions before its last complete one");
        var lags = swept.TimeLag!;
        Assert.Equal(key.Points.Count, lags.Count(l => l == 0f));
        foreach (var revolution in earlier)
        {
            float lag = (float)((key.Index - revolution.Index) * period);
            int kept = lags.Count(l => l == lag);
            // Every point of the earlier revolution but those within 1 m of the sensor (det3d's remove_close).
            Assert.InRange(kept, 1, revolution.Points.Count);
            Assert.Equal(revolution.Points.Count - CloseToSensor(revolution.Points), kept);
        }
        Assert.Equal(swept.Count, lags.Length);

        // A calibration input skips the held-out revolution: its lag never appears.
        var skipped = capture.Sweeps(key.Index, skip: r => r.Index == complete[0].Index);
        float heldOutLag = (float)((key.Index - complete[0].Index) * period);
        Assert.DoesNotContain(heldOutLag, skipped.TimeLag!);
        Assert.Contains(skipped.TimeLag!, l => l > heldOutLag);
    }

    [Fact]
    public void The_shipped_capture_gives_a_multi_sweep_network_held_out_and_calibration_inputs_that_do_not_overlap()
    {
        var (heldOutName, heldOut) = ShippedCapture.HeldOutScan(sweeps: true);
        var calibration = ShippedCapture.CalibrationScans(sweeps: true);
        Assert.NotEmpty(calibration);
        Assert.Contains("earlier sweeps", heldOutName);
        Assert.Contains(heldOut.TimeLag!, l => l > 0);
        var heldOutKey = ShippedCapture.HeldOutScan(sweeps: false).Cloud;
        // No point of the held-out key frame reaches a calibration input (compared as exact x, y, z triples).
        var keyPoints = Enumerable.Range(0, heldOutKey.Count).Select(p => (heldOutKey.Xyzi[4 * p], heldOutKey.Xyzi[4 * p + 1], heldOutKey.Xyzi[4 * p + 2])).ToHashSet();
        foreach (var (name, cloud) in calibration)
        {
            Assert.Contains(cloud.TimeLag!, l => l > 0);
            int shared = Enumerable.Range(0, cloud.Count).Count(p => keyPoints.Contains((cloud.Xyzi[4 * p], cloud.Xyzi[4 * p + 1], cloud.Xyzi[4 * p + 2])));
            Assert.True(shared < cloud.Count / 100, $"{name}: {shared} of {cloud.Count} points are the held-out key frame's");
        }
        // A single-scan network reads single revolutions.
        Assert.Null(ShippedCapture.HeldOutScan(sweeps: false).Cloud.TimeLag);
    }

    private static int CloseToSensor(PointCloud cloud) =>
        Enumerable.Range(0, cloud.Count).Count(p => Math.Abs(cloud.Xyzi[4 * p]) < SweepAggregation.RemoveCloseRadius && Math.Abs(cloud.Xyzi[4 * p + 1]) < SweepAggregation.RemoveCloseRadius);
}
