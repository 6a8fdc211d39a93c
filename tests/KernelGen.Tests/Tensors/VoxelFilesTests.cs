using System.Buffers.Binary;
using System.Text.Json;
using ILGPU;
using ILGPU.Runtime.CPU;
using KernelGen.IO;
using KernelGen.Models;
using KernelGen.Networks;
using KernelGen.Points;
using KernelGen.Tensors;
using KernelGen.Tests.Cli;
using Half = System.Half;

namespace KernelGen.Tests.Tensors;

/// <summary>
/// Voxels in and out: <c>kernelgen voxelize</c>'s files fed back through <c>kernelgen run --coords --features</c> run the
/// network exactly as the scan does; other pipelines' dtypes (int64 coordinates, float16 features, libspconv
/// <c>.tensor</c> files) read the same; bad shapes and dtypes are one-line errors; float16 point files read.
/// </summary>
public sealed class VoxelFilesTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("kernelgen-voxels-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string PathOf(string name) => Path.Combine(_folder, name);

    [Fact]
    public void Written_voxels_read_back_and_run_the_network_exactly_as_the_scan()
    {
        var network = BuiltInModels.Load("centerpoint");
        var cloud = ShippedCapture.HeldOutScan(network.HasTimeChannel).Cloud;
        var voxels = network.Voxelize(cloud);
        var features = network.InputFeatures(voxels);
        VoxelFiles.Write(features, PathOf("c.npy"), PathOf("f.npy"));
        var read = VoxelFiles.Read(PathOf("c.npy"), PathOf("f.npy"), network.Voxels.SpatialShape);
        Assert.Equal(features.Coordinates, read.Coordinates);
        Assert.Equal(features.Features, read.Features);

        using var context = Context.Create(b => b.CPU());
        using var accelerator = context.CreateCPUAccelerator(0);
        using var runner = new NetworkRunner(accelerator);
        var weights = NetworkWeights.Synthetic(network);
        var fromScan = runner.Plan(network, voxels);
        var fromFiles = runner.PlanInput(network, read);
        var a = runner.Run(fromScan, weights, runner.Defaults(fromScan, PrecisionPlan.F32), PrecisionPlan.F32);
        var b = runner.Run(fromFiles, weights, runner.Defaults(fromFiles, PrecisionPlan.F32), PrecisionPlan.F32);
        Assert.Equal(a.Output.Coordinates, b.Output.Coordinates);
        Assert.Equal(a.Output.Features, b.Output.Features);
        // The raw voxelizer output is not the network's input: its channel count is checked.
        var e = Assert.Throws<ArgumentException>(() => runner.PlanInput(BuiltInModels.Load("second"), read));
        Assert.Contains("the voxels have 5 feature channels; second reads 4 (x, y, z, intensity)", e.Message);
    }

    [Fact]
    public void Other_pipelines_dtypes_and_libspconv_tensor_files_read_the_same_voxels()
    {
        int[] coordinates = [0, 1, 2, 3, 0, 4, 5, 6, 1, 0, 0, 0];
        float[] features = [0.5f, -1.25f, 2f, 3.5f, -0.75f, 1f];
        var shape = new SpatialShape(8, 8, 8);
        Npy.Write(PathOf("c64.npy"), coordinates.Select(c => (long)c).ToArray(), 3, 4);
        File.WriteAllBytes(PathOf("f16.npy"), NpyHalf(features, 3, 2));
        WriteTensor(PathOf("c.tensor"), 1, [3, 4], coordinates.SelectMany(BitConverter.GetBytes).ToArray());
        WriteTensor(PathOf("f.tensor"), 2, [3, 2], features.SelectMany(f => BitConverter.GetBytes((Half)f)).ToArray());
        foreach (var (c, f) in new[] { ("c64.npy", "f16.npy"), ("c.tensor", "f.tensor"), ("c64.npy", "f.tensor") })
        {
            var voxels = VoxelFiles.Read(PathOf(c), PathOf(f), shape);
            Assert.Equal(coordinates, voxels.Coordinates);
            Assert.Equal(features, voxels.Features); // every value is exact in fp16
            Assert.Equal(2, voxels.BatchSize);
        }
    }

    public static TheoryData<string, string> BrokenVoxels() => new()
    {
        { "coords3", "have shape (3, 3); [N, 4] as (batch, z, y, x) is required" },
        { "rows", "have 2 rows but coordinates" },
        { "f64", "are Float64; float32 or float16 is required" },
        { "float-coords", "has dtype <f4; int32 ('<i4') or int64 is required" },
        { "outside", "row 1: coordinate (z=4, y=5, x=9) is outside the spatial shape (8, 8, 8)" },
        { "duplicate", "duplicate" },
        { "nan", "not finite" },
        { "wide", "value 4294967296 at flat index 0 does not fit in int32" },
        { "magic", "is not a libspconv tensor file (no 0x33ff1101 magic)" },
        { "short", "shape (3, 2) needs 12 data bytes but the file has 4" },
    };

    [Theory]
    [MemberData(nameof(BrokenVoxels))]
    public void Bad_voxel_files_are_one_line_errors_naming_the_problem(string breakage, string expected)
    {
        int[] coordinates = breakage switch
        {
            "outside" => [0, 1, 2, 3, 0, 4, 5, 9, 0, 0, 0, 0],
            "duplicate" => [0, 1, 2, 3, 0, 1, 2, 3, 0, 0, 0, 0],
            _ => [0, 1, 2, 3, 0, 4, 5, 6, 0, 0, 0, 0],
        };
        float[] features = [0.5f, 1f, 2f, breakage == "nan" ? float.NaN : 3f, 4f, 5f];
        string c = PathOf("c.npy"), f = PathOf("f.npy");
        Npy.Write(c, coordinates, 3, 4);
        Npy.Write(f, features, 3, 2);
        switch (breakage)
        {
            case "coords3": Npy.Write(c, coordinates[..9], 3, 3); break;
            case "rows": Npy.Write(f, features[..4], 2, 2); break;
            case "f64": Npy.Write(f, features.Select(v => (double)v).ToArray(), 3, 2); break;
            case "float-coords": Npy.Write(c, coordinates.Select(v => (float)v).ToArray(), 3, 4); break;
            case "wide": Npy.Write(c, coordinates.Select((v, i) => i == 0 ? 1L << 32 : v).ToArray(), 3, 4); break;
            case "magic": File.WriteAllBytes(f = PathOf("f.tensor"), new byte[16]); break;
            case "short": WriteTensor(f = PathOf("f.tensor"), 2, [3, 2], new byte[4]); break;
        }
        var e = Assert.Throws<InvalidDataException>(() => VoxelFiles.Read(c, f, new SpatialShape(8, 8, 8)));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Kernelgen_voxelize_and_run_on_voxels_and_their_one_line_refusals()
    {
        string c = PathOf("c.npy"), f = PathOf("f.npy"), json = PathOf("run.json");
        var voxelize = CliRunner.Run("voxelize", "--out-coords", c, "--out-features", f);
        Assert.True(voxelize.ExitCode == 0, voxelize.Error);
        Assert.Contains("5 channels (x, y, z, intensity, time)", voxelize.Output);
        int rows = Npy.Read(c).Shape[0];
        var run = CliRunner.Run("run", "--coords", c, "--features", f, "--accelerator", "cpu", "--json", json, "--cache", PathOf("cache.json"));
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains($"c.npy + f.npy (5 channels on (41, 1440, 1440), batch 1) → {rows} voxels (read", run.Output);
        using (var report = JsonDocument.Parse(File.ReadAllText(json)))
        {
            Assert.Equal(rows, report.RootElement.GetProperty("voxels").GetInt32());
            Assert.Equal(JsonValueKind.Null, report.RootElement.GetProperty("points").ValueKind);
        }

        foreach (var (args, message) in new (string[], string)[]
        {
            (["voxelize", "--out-coords", c, "--out-features", c], "--out-coords and --out-features name the same file"),
            (["voxelize", "--out-coords", PathOf("c.bin"), "--out-features", f], "--out-coords: " + PathOf("c.bin") + " must end in .npy"),
            (["run", "--coords", c], "voxels need both --coords and --features"),
            (["run", "--coords", c, "--features", f, "--input", "scan.bin"], "give a scan (--input, --sweeps, --point-format) or voxels (--coords, --features), not both"),
            (["run", "--spatial-shape", "41,1440,1440"], "--spatial-shape is the grid of --coords/--features voxels: give them too"),
            (["run", "--coords", c, "--features", f, "--spatial-shape", "41,0,1440"], "--spatial-shape '41,0,1440' must be three positive integers D,H,W"),
            (["run", "--model", "second", "--coords", c, "--features", f, "--spatial-shape", "41,1600,1408"], "the voxels have 5 feature channels; second reads 4"),
            (["run", "--coords", c, "--features", f, "--json", f], "--json: " + f + " is also an input of this command"),
        })
        {
            var bad = CliRunner.Run(args);
            Assert.Equal(2, bad.ExitCode);
            Assert.Contains(message, bad.Error);
            Assert.Single(bad.ErrorLines);
        }
    }

    [Fact]
    public void Float16_sweep_points_read_as_the_float32_ones_and_a_wrong_size_names_the_format()
    {
        float[] values = [1.5f, -2.25f, 0.5f, 100f, 0.05f, -10f, 4f, -1f, 255f, 0f];
        File.WriteAllBytes(PathOf("points.bin"), values.SelectMany(v => BitConverter.GetBytes((Half)v)).ToArray());
        File.WriteAllBytes(PathOf("points32.bin"), values.SelectMany(v => BitConverter.GetBytes((float)(Half)v)).ToArray());
        var half = ScanReader.Read(PathOf("points.bin"), PointFormats.FromName("nuscenes-sweeps-f16"));
        var single = ScanReader.Read(PathOf("points32.bin"), PointFormat.NuScenesSweeps);
        Assert.Equal(single.Count, half.Count);
        Assert.Equal(2, half.Count);
        Assert.Equal(single.Xyzi, half.Xyzi);
        Assert.Equal(single.TimeLag, half.TimeLag);

        File.WriteAllBytes(PathOf("odd.bin"), new byte[12]);
        var e = Assert.Throws<InvalidDataException>(() => ScanReader.Read(PathOf("odd.bin"), PointFormat.NuScenesSweepsF16));
        Assert.Contains("12 bytes is not a multiple of 10 (x, y, z, intensity, time lag as float16)", e.Message);
    }

    private static byte[] NpyHalf(float[] values, int rows, int columns)
    {
        // Version 1.0: magic, version, header length, then the header padded with spaces so the data starts at a multiple of 64.
        string dict = $"{{'descr': '<f2', 'fortran_order': False, 'shape': ({rows}, {columns}), }}";
        string header = dict + new string(' ', (64 - (10 + dict.Length + 1) % 64) % 64) + "\n";
        var bytes = new List<byte> { 0x93 };
        bytes.AddRange("NUMPY"u8.ToArray());
        bytes.AddRange([1, 0]);
        bytes.AddRange(BitConverter.GetBytes((ushort)header.Length));
        bytes.AddRange(System.Text.Encoding.Latin1.GetBytes(header));
        bytes.AddRange(values.SelectMany(v => BitConverter.GetBytes((Half)v)));
        return bytes.ToArray();
    }

    private static void WriteTensor(string path, int dtype, int[] shape, byte[] data)
    {
        var header = new byte[12 + 4 * shape.Length];
        BinaryPrimitives.WriteInt32LittleEndian(header, NvidiaTensorFile.Magic);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(4), shape.Length);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), dtype);
        for (int i = 0; i < shape.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(12 + 4 * i), shape[i]);
        }
        File.WriteAllBytes(path, [.. header, .. data]);
    }
}
