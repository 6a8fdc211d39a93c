using KernelGen.Points;
using KernelGen.Profiles;

namespace KernelGen.Tests.Points;

/// <summary>
/// nuScenes points (5 floats), the format chosen by extension or by name and checked by its value ranges, multi-sweep
/// aggregation with the time-lag channel, intensity scaling to the model's range, and the sensor a profile records.
/// </summary>
public sealed class NuScenesInputTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("kernelgen-nusc-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, float[] values)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, values.SelectMany(BitConverter.GetBytes).ToArray());
        return path;
    }

    private static float[] Points(int seed, int count, Func<Random, int, float> fifth)
    {
        var random = new Random(seed);
        var values = new float[count * 5];
        for (int p = 0; p < count; p++)
        {
            values[p * 5] = (float)(random.NextDouble() * 40 - 20);
            values[p * 5 + 1] = (float)(random.NextDouble() * 40 - 20);
            values[p * 5 + 2] = (float)(random.NextDouble() * 4 - 2);
            values[p * 5 + 3] = random.Next(256);
            values[p * 5 + 4] = fifth(random, p);
        }
        return values;
    }

    [Fact]
    public void A_pcd_bin_reads_as_nuscenes_and_an_aggregated_bin_only_when_named()
    {
        var sweep = Points(1, 300, (r, _) => r.Next(32));
        var cloud = ScanReader.Read(Write("n008__LIDAR_TOP__1533151603547590.pcd.bin", sweep));
        Assert.Equal(300, cloud.Count);
        Assert.Equal("nuScenes (HDL-32E)", cloud.Sensor);
        Assert.Equal(255, cloud.IntensityMax);
        Assert.Null(cloud.TimeLag);
        for (int p = 0; p < 300; p++)
        {
            Assert.Equal(sweep.AsSpan(p * 5, 4).ToArray(), cloud.Xyzi.AsSpan(p * 4, 4).ToArray());
        }

        var aggregated = Points(2, 200, (r, _) => (float)(r.NextDouble() * 0.45));
        string path = Write("cuda_centerpoint_input.bin", aggregated);
        // Named .bin it is KITTI, whose reflectance 0–1 the intensities break: an error that names the way out.
        var e = Assert.Throws<InvalidDataException>(() => ScanReader.Read(path));
        Assert.Contains("outside KITTI's 0–1", e.Message);
        Assert.Contains("--point-format nuscenes", e.Message);
        var read = ScanReader.Read(path, PointFormat.NuScenesSweeps);
        Assert.Equal(aggregated.Where((_, i) => i % 5 == 4), read.TimeLag!);
        // A time lag is not a ring index, nor a ring index a time lag.
        Assert.Contains("aggregated sweeps with a time lag (--point-format nuscenes-sweeps), or a KITTI scan of 4 floats per point (--point-format kitti)", Assert.Throws<InvalidDataException>(() => ScanReader.Read(path, PointFormat.NuScenes)).Message);
        string rings = Write("rings.bin", Points(3, 50, (r, _) => 5 + r.Next(20)));
        Assert.Contains("a single sweep with ring indices (--point-format nuscenes)", Assert.Throws<InvalidDataException>(() => ScanReader.Read(rings, PointFormat.NuScenesSweeps)).Message);
        Assert.Contains("not a multiple of 20", Assert.Throws<InvalidDataException>(() => ScanReader.Read(Write("short.pcd.bin", new float[7]))).Message);
        Assert.Contains("is not one of kitti, nuscenes, nuscenes-sweeps, nuscenes-sweeps-f16, pcap", Assert.Throws<ArgumentException>(() => PointFormats.FromName("las")).Message);
    }

    [Fact]
    public void Sweeps_aggregate_with_their_lag_and_without_the_ego_returns_and_voxelize_into_the_time_channel()
    {
        string key = Write("scene__LIDAR_TOP__1000000000000000.pcd.bin", Points(4, 100, (r, _) => r.Next(32)));
        var older = Points(5, 80, (r, _) => r.Next(32));
        older[0] = 0.5f; // within 1 m of the sensor: the ego vehicle's own return, dropped from earlier sweeps
        older[1] = -0.5f;
        string sweep = Write("scene__LIDAR_TOP__0999999999950000.pcd.bin", older);
        var cloud = SweepAggregation.Read(key, [sweep]);
        int kept = 100 + Enumerable.Range(0, 80).Count(p => !(Math.Abs(older[p * 5]) < 1 && Math.Abs(older[p * 5 + 1]) < 1));
        Assert.Equal(kept, cloud.Count);
        Assert.All(cloud.TimeLag!.Take(100), lag => Assert.Equal(0f, lag));
        Assert.All(cloud.TimeLag!.Skip(100), lag => Assert.Equal(0.05f, lag));
        // Every voxel's time channel is the mean lag of its points: 0 or 0.05 alone, between them when mixed.
        var voxels = Voxelizer.Voxelize(cloud, VoxelConfig.NuScenes).Tensor;
        Assert.Contains(Enumerable.Range(0, voxels.Count), v => Math.Abs(voxels.Features[v * 5 + 4] - 0.05f) < 1e-6);
        Assert.All(Enumerable.Range(0, voxels.Count), v => Assert.InRange(voxels.Features[v * 5 + 4], 0f, 0.05f));
        Assert.Contains("__<microsecond timestamp>.pcd.bin", Assert.Throws<ArgumentException>(() => SweepAggregation.Read(key, [Write("plain.pcd.bin", older)])).Message);
        Assert.Contains("lag -0.050 s", Assert.Throws<ArgumentException>(() => SweepAggregation.Read(sweep, [key])).Message);
    }

    [Fact]
    public void Intensities_scale_to_the_models_range_and_a_profile_warns_about_another_sensor()
    {
        var kitti = new PointCloud([1, 2, 0, 0.5f, 3, 4, 0, 1f], "kitti.bin", "KITTI (HDL-64E)", intensityMax: 1);
        var scaled = kitti.ScaledTo(255);
        Assert.Equal(new float[] { 1, 2, 0, 127.5f, 3, 4, 0, 255f }, scaled.Xyzi);
        Assert.Same(kitti, kitti.ScaledTo(1));
        Assert.Same(kitti, kitti.ScaledTo(null));
        Assert.Equal("intensity 0–1 scaled to the model's 0–255", kitti.DescribeScaling(255));

        var velodyne = new PointCloud([1, 2, 0, 30], "capture.pcap revolution 2", "Velodyne HDL-32E", intensityMax: 255);
        var input = ProfileInput.Of([velodyne], 255);
        Assert.Null(input.WarningFor(velodyne));
        var warning = input.WarningFor(kitti);
        Assert.NotNull(warning);
        Assert.Contains("from KITTI (HDL-64E) but the int8 scales were calibrated on Velodyne HDL-32E", warning);
    }
}
