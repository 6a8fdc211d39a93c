namespace KernelGen.Tests.Support;

/// <summary>
/// Finds the project's shared data folder (../shared beside the checkout) by walking up from the test binaries;
/// <c>KERNELGEN_SHARED</c> overrides. Tests that need it skip, with this message, when it is absent.
/// </summary>
public static class SharedData
{
    public static string? LidarFolder()
    {
        var overridePath = Environment.GetEnvironmentVariable("KERNELGEN_SHARED");
        if (!string.IsNullOrEmpty(overridePath))
        {
            return Directory.Exists(Path.Combine(overridePath, "data", "lidar")) ? Path.Combine(overridePath, "data", "lidar") : null;
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data", "lidar");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    public static string RequireFile(string name)
    {
        var folder = LidarFolder();
        Assert.SkipWhen(folder is null, "../shared/data/lidar is absent (set KERNELGEN_SHARED to the shared folder to run this test)");
        var path = Path.Combine(folder!, name);
        Assert.SkipUnless(File.Exists(path), $"{path} is absent");
        return path;
    }

    /// <summary>A file of ../shared/data/weights (the trained proxy checkpoint); the test skips when it is absent.</summary>
    public static string RequireWeights(string name)
    {
        var lidar = LidarFolder();
        Assert.SkipWhen(lidar is null, "../shared/data is absent (set KERNELGEN_SHARED to the shared folder to run this test)");
        var path = Path.Combine(Path.GetDirectoryName(lidar!)!, "weights", name);
        Assert.SkipUnless(File.Exists(path), $"{path} is absent");
        return path;
    }

    /// <summary>The trained proxy backbone (README in ../shared/data/weights): the optimistic bound for quantization.</summary>
    public const string ProxyWeights = "centerpoint_proxy.safetensors";

    public const string KittiFrame = "kitti_raw_2011_09_26_drive_0079_extract_0000000000.bin.gz";
    public const string Hdl32Capture = "sample_velodyne_hdl32.pcap";
    public const string Vlp16Capture = "sample_velodyne_vlp16_gps.pcap";

    /// <summary>The HDL-32E capture shipped in the repository (data/).</summary>
    public static string ShippedCapture()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "data", Hdl32Capture);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new FileNotFoundException("data/" + Hdl32Capture + " not found above the test binaries");
    }
}
