using System.Reflection;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using KernelGen.Models;
using KernelGen.Networks;
using KernelGen.Points;
using KernelGen.Tests.Support;

namespace KernelGen.Tests.Points;

/// <summary>
/// The device voxelizer gives the host voxelizer's voxels bit for bit — coordinates, the order, every mean — on real
/// scans, sweeps with their lags, batches, points out of range, and names a non-finite point as the host does; its
/// kernels compile to PTX with the double-precision floor and sums the host arithmetic needs.
/// </summary>
[Collection(CpuAcceleratorCollection.Name)]
public sealed class DeviceVoxelizerTests(CpuAcceleratorFixture fixture)
{
    private readonly DeviceVoxelizer _device = new(fixture.Session.Accelerator);

    private static void AssertSame(VoxelizationResult expected, VoxelizationResult actual)
    {
        Assert.Equal(expected.Tensor.Coordinates, actual.Tensor.Coordinates);
        Assert.Equal(expected.Tensor.Features, actual.Tensor.Features); // bit for bit: the same sums in the same order
        Assert.Equal(expected.Tensor.BatchSize, actual.Tensor.BatchSize);
        Assert.Equal(expected.Tensor.SpatialShape, actual.Tensor.SpatialShape);
        Assert.Equal((expected.PointsInRange, expected.PointsOutOfRange), (actual.PointsInRange, actual.PointsOutOfRange));
    }

    [Fact]
    public void Real_scans_with_sweeps_and_batches_voxelize_exactly_as_on_the_host()
    {
        var sweeps = ShippedCapture.HeldOutScan(sweeps: true).Cloud; // a revolution and an earlier one, with time lags
        var revolutions = ShippedCapture.Revolutions().Select(r => r.Cloud).Take(2).ToList();
        foreach (var config in new[] { VoxelConfig.NuScenes, VoxelConfig.Kitti })
        {
            AssertSame(Voxelizer.Voxelize(sweeps, config), _device.Voxelize(sweeps, config));
            AssertSame(Voxelizer.Voxelize(revolutions, config), _device.Voxelize(revolutions, config));
        }
        Assert.NotNull(sweeps.TimeLag);
    }

    [Fact]
    public void Many_points_per_voxel_points_out_of_range_and_empty_inputs_match_the_host()
    {
        var random = new Random(36);
        var xyzi = new float[20_000 * 4];
        for (int p = 0; p < 20_000; p++)
        {
            // A few metres' cube: dozens of points per voxel, some outside the KITTI range (x < 0, z > 1).
            xyzi[p * 4] = (float)(random.NextDouble() * 4 - 0.5);
            xyzi[p * 4 + 1] = (float)(random.NextDouble() * 2 - 1);
            xyzi[p * 4 + 2] = (float)(random.NextDouble() * 3 - 1.5);
            xyzi[p * 4 + 3] = (float)random.NextDouble();
        }
        var lag = Enumerable.Range(0, 20_000).Select(p => p % 7 * 0.05f).ToArray();
        var dense = new PointCloud(xyzi, "dense", timeLag: lag);
        var result = _device.Voxelize([dense, new PointCloud(xyzi[..400], "small")], VoxelConfig.Kitti);
        AssertSame(Voxelizer.Voxelize([dense, new PointCloud(xyzi[..400], "small")], VoxelConfig.Kitti), result);
        Assert.True(result.PointsOutOfRange > 0 && result.Tensor.Count < result.PointsInRange);

        var outside = new PointCloud([500f, 500f, 500f, 0.5f], "far");
        AssertSame(Voxelizer.Voxelize(outside, VoxelConfig.Kitti), _device.Voxelize(outside, VoxelConfig.Kitti));
        AssertSame(Voxelizer.Voxelize(new PointCloud([], "empty"), VoxelConfig.Kitti), _device.Voxelize(new PointCloud([], "empty"), VoxelConfig.Kitti));
    }

    [Fact]
    public void A_non_finite_point_is_named_as_the_host_names_it()
    {
        var cloud = new PointCloud([1f, 2f, 0f, 0.5f, 3f, float.NaN, 0f, 0.5f], "broken.bin");
        var host = Assert.Throws<InvalidDataException>(() => Voxelizer.Voxelize(cloud, VoxelConfig.Kitti));
        var device = Assert.Throws<InvalidDataException>(() => _device.Voxelize(cloud, VoxelConfig.Kitti));
        Assert.Equal(host.Message, device.Message);
        Assert.Contains("broken.bin: point 1 has a non-finite coordinate or intensity", device.Message);
    }

    [Fact]
    public void The_runner_voxelizes_on_the_device_only_on_a_gpu()
    {
        using var runner = new NetworkRunner(fixture.Session.Accelerator);
        Assert.Null(runner.DeviceVoxelizer); // the CPU accelerator: the host voxelizer is the faster one
        var network = BuiltInModels.Load("centerpoint");
        var cloud = ShippedCapture.HeldOut();
        Assert.Equal(network.Voxelize(cloud).Features, runner.Voxelize(network, cloud).Features);
    }

    public static TheoryData<string> Kernels() => new() { "KeysKernel", "StartsKernel", "MeansKernel" };

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Its_kernels_compile_to_ptx_with_the_host_arithmetic(string kernel)
    {
        using var context = Context.Create(builder => builder.Default().Optimize(OptimizationLevel.O2));
        var backend = new PTXBackend(context, new CudaCapabilityContext(CudaArchitecture.SM_80), CudaArchitecture.SM_80, CudaInstructionSet.ISA_80, null);
        var method = typeof(DeviceVoxelizer).GetMethod(kernel, BindingFlags.NonPublic | BindingFlags.Static)!;
        string ptx = ((PTXCompiledKernel)backend.Compile(EntryPointDescription.FromImplicitlyGroupedKernel(method), KernelSpecialization.Empty)).PTXAssembly;
        Assert.Contains(".entry", ptx);
        Assert.DoesNotContain("bar.sync", ptx);
        switch (kernel)
        {
            case "KeysKernel":
                Assert.Contains("cvt.rmi.f64.f64", ptx);  // floor in double, as Math.Floor on the host
                Assert.Matches(@"div\.rn\.f64", ptx);      // the IEEE quotient, not an approximation
                Assert.Matches(@"(atom|red)\.add\.global", ptx); // points kept (a reduction: the old value is not read)
                break;
            case "MeansKernel":
                Assert.Matches(@"add(\.rn)?\.f64", ptx);   // the sums in double
                Assert.Matches(@"div\.rn\.f64", ptx);      // the mean's quotient, exact as on the host
                Assert.Contains("cvt.rn.f32.f64", ptx);   // the mean rounded once to float
                break;
        }
    }
}

/// <summary>On a CUDA device (the GPU machine): the same voxels through ILGPU's radix sort on the device.</summary>
[Collection(CudaAcceleratorCollection.Name)]
public sealed class CudaDeviceVoxelizerTests(CudaAcceleratorFixture fixture)
{
    [Fact]
    public void Voxelizes_exactly_as_the_host_on_the_gpu()
    {
        Assert.SkipWhen(fixture.Session is null, "no CUDA device on this machine");
        var device = new DeviceVoxelizer(fixture.Session!.Accelerator);
        var cloud = ShippedCapture.HeldOutScan(sweeps: true).Cloud;
        var expected = Voxelizer.Voxelize(cloud, VoxelConfig.NuScenes);
        var actual = device.Voxelize(cloud, VoxelConfig.NuScenes);
        Assert.Equal(expected.Tensor.Coordinates, actual.Tensor.Coordinates);
        Assert.Equal(expected.Tensor.Features, actual.Tensor.Features);
    }
}
