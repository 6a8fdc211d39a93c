namespace KernelGen.Points;

/// <summary>The scan file formats read; chosen by the file's extension or named explicitly, never guessed from the content.</summary>
public enum PointFormat
{
    /// <summary>KITTI velodyne <c>.bin</c> (or <c>.bin.gz</c>): 4 float32 per point, x, y, z, reflectance 0–1.</summary>
    Kitti,

    /// <summary>nuScenes <c>.pcd.bin</c>: 5 float32 per point, x, y, z, intensity 0–255, ring index 0–31 (one sweep).</summary>
    NuScenes,

    /// <summary>
    /// Aggregated nuScenes sweeps as CUDA-CenterPoint dumps them (<c>.bin</c>): 5 float32 per point, x, y, z,
    /// intensity 0–255, time lag behind the key frame in seconds.
    /// </summary>
    NuScenesSweeps,

    /// <summary>A libpcap capture of a Velodyne HDL-32E or VLP-16 (<c>.pcap</c>): its first complete revolution.</summary>
    VelodynePcap,

    /// <summary>
    /// Aggregated sweeps as <see cref="NuScenesSweeps"/>, in float16 (5 × 2 bytes per point), as NVIDIA's
    /// 3DSparseConvolution samples ship them (<c>workspace/*.bin</c>). Last, so the earlier values keep their numbers.
    /// </summary>
    NuScenesSweepsF16,
}

/// <summary>Names and extensions of <see cref="PointFormat"/>.</summary>
public static class PointFormats
{
    /// <summary>The <c>--point-format</c> names.</summary>
    public const string Names = "kitti, nuscenes, nuscenes-sweeps, nuscenes-sweeps-f16, pcap";

    /// <summary>The format named <paramref name="name"/>; anything else is an error listing the names.</summary>
    public static PointFormat FromName(string name) => name.Trim().ToLowerInvariant() switch
    {
        "kitti" => PointFormat.Kitti,
        "nuscenes" => PointFormat.NuScenes,
        "nuscenes-sweeps" => PointFormat.NuScenesSweeps,
        "nuscenes-sweeps-f16" => PointFormat.NuScenesSweepsF16,
        "pcap" => PointFormat.VelodynePcap,
        _ => throw new ArgumentException($"point format '{name}' is not one of {Names}"),
    };

    /// <summary>
    /// The format <paramref name="path"/>'s extension says: <c>.pcd.bin</c> nuScenes, <c>.bin</c> and <c>.bin.gz</c>
    /// KITTI, <c>.pcap</c> Velodyne; null for any other (the caller names the problem).
    /// </summary>
    public static PointFormat? FromExtension(string path)
    {
        string name = Path.GetFileName(path).ToLowerInvariant();
        return name.EndsWith(".pcd.bin", StringComparison.Ordinal) ? PointFormat.NuScenes
            : name.EndsWith(".bin", StringComparison.Ordinal) || name.EndsWith(".bin.gz", StringComparison.Ordinal) ? PointFormat.Kitti
            : name.EndsWith(".pcap", StringComparison.Ordinal) ? PointFormat.VelodynePcap
            : null;
    }
}
