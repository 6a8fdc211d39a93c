using ILGPU;
using ILGPU.Runtime;
using KernelGen.Kernels;
using KernelGen.Tensors;

namespace KernelGen.Points;

/// <summary>
/// <see cref="Voxelizer"/> on an ILGPU accelerator, for a frame that starts on the GPU (CUDA-CenterPoint voxelizes
/// there): each point's voxel key in one pass, the keys (made unique by the point's number) radix-sorted so each
/// voxel is a run of its points in point order, the runs' starts found and sorted, then one thread per voxel sums its
/// run in double and writes the mean. The same arithmetic in the same order as the host voxelizer, so the voxels are
/// identical bit for bit (tested on the CPU accelerator).
/// </summary>
public sealed class DeviceVoxelizer
{
    // A point outside the range sorts after every kept point.
    private const long OutOfRange = long.MaxValue;

    private readonly Accelerator _accelerator;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<int>, VoxelGrid, long, ArrayView<long>, ArrayView<int>, GridStrideRange> _keys;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<long>, long, ArrayView<long>, ArrayView<int>, GridStrideRange> _starts;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<long>, ArrayView<long>, int, ArrayView<float>, ArrayView<float>, long, SpatialShape, ArrayView<int>, ArrayView<float>, GridStrideRange> _means;
    private readonly KernelMaps.DeviceKeySort _sort;

    /// <summary>Loads the voxelization kernels once for <paramref name="accelerator"/>.</summary>
    public DeviceVoxelizer(Accelerator accelerator)
    {
        _accelerator = accelerator ?? throw new ArgumentNullException(nameof(accelerator));
        _keys = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<int>, VoxelGrid, long, ArrayView<long>, ArrayView<int>, GridStrideRange>(KeysKernel);
        _starts = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<long>, long, ArrayView<long>, ArrayView<int>, GridStrideRange>(StartsKernel);
        _means = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<long>, ArrayView<long>, int, ArrayView<float>, ArrayView<float>, long, SpatialShape, ArrayView<int>, ArrayView<float>, GridStrideRange>(MeansKernel);
        _sort = new KernelMaps.DeviceKeySort(accelerator);
    }

    /// <summary>Voxelizes one scan as batch item 0.</summary>
    public VoxelizationResult Voxelize(PointCloud cloud, VoxelConfig config) => Voxelize([cloud], config);

    /// <summary>Voxelizes scans as batch items 0, 1, … — the voxels <see cref="Voxelizer.Voxelize(IReadOnlyList{PointCloud}, VoxelConfig)"/> gives.</summary>
    public VoxelizationResult Voxelize(IReadOnlyList<PointCloud> clouds, VoxelConfig config)
    {
        var result = Voxelize(clouds, config, out var onDevice);
        onDevice?.Dispose();
        return result;
    }

    /// <summary>
    /// The same, also keeping the voxels on the device (<paramref name="onDevice"/>, owned by the caller; null when there
    /// are none): the frame's kernel maps and network input start from them there (<see cref="Networks.NetworkRunner"/>).
    /// </summary>
    internal VoxelizationResult Voxelize(IReadOnlyList<PointCloud> clouds, VoxelConfig config, out DeviceVoxels? onDevice)
    {
        onDevice = null;
        long total = Voxelizer.PointsOf(clouds, config);
        var shape = config.SpatialShape;
        // The sort key is voxel key × points + point: unique, and in point order within a voxel.
        if ((Int128)clouds.Count * shape.CellCount * Math.Max(1, total) >= long.MaxValue)
        {
            throw new ArgumentException($"{total} points on {clouds.Count} × {shape.CellCount} cells: too many to number on the device; use Voxelizer");
        }
        if (total == 0)
        {
            return new VoxelizationResult(SparseTensor.Empty(Voxelizer.Channels, shape, clouds.Count), 0, 0);
        }
        int count = (int)total;
        var xyzi = new float[count * 4L];
        var lag = new float[count];
        var batchStart = new int[clouds.Count + 1];
        for (int batch = 0; batch < clouds.Count; batch++)
        {
            var cloud = clouds[batch];
            batchStart[batch + 1] = batchStart[batch] + cloud.Count;
            Array.Copy(cloud.Xyzi, 0, xyzi, batchStart[batch] * 4L, cloud.Count * 4L);
            cloud.TimeLag?.CopyTo(lag, batchStart[batch]);
        }

        var stream = _accelerator.DefaultStream;
        using var points = _accelerator.Allocate1D(xyzi);
        using var lags = _accelerator.Allocate1D(lag);
        using var starts = _accelerator.Allocate1D(batchStart);
        using var keys = _accelerator.Allocate1D<long>(count);
        // counters[0]: points kept; counters[1]: the first point with a non-finite value (int.MaxValue: none).
        using var counters = _accelerator.Allocate1D(new[] { 0, int.MaxValue });
        var range = Range(count);
        _keys(stream, range.Width, points.View, starts.View, VoxelGrid.Of(config), total, keys.View, counters.View, range);
        var counted = counters.GetAsArray1D(stream);
        if (counted[1] != int.MaxValue)
        {
            // The device only flags it; the host voxelizer names the scan and the point.
            Voxelizer.Voxelize(clouds, config);
            throw new InvalidDataException($"the device found a non-finite value at point {counted[1]} that the host did not");
        }
        int kept = counted[0];
        _sort.Sort(stream, keys.View);
        if (kept == 0)
        {
            return new VoxelizationResult(SparseTensor.Empty(Voxelizer.Channels, shape, clouds.Count), 0, total);
        }

        // The first point of each voxel's run, collected then sorted, is the voxel's start.
        using var runStarts = _accelerator.Allocate1D<long>(kept);
        counters.MemSetToZero(stream);
        var keptRange = Range(kept);
        _starts(stream, keptRange.Width, keys.View, total, runStarts.View, counters.View, keptRange);
        int voxels = counters.GetAsArray1D(stream)[0];
        _sort.Sort(stream, runStarts.View.SubView(0, voxels));

        var coordinates = _accelerator.Allocate1D<int>(voxels * 4L);
        var features = _accelerator.Allocate1D<float>((long)voxels * Voxelizer.Channels);
        try
        {
            var voxelRange = Range(voxels);
            _means(stream, voxelRange.Width, keys.View, runStarts.View, kept, points.View, lags.View, total, shape, coordinates.View, features.View, voxelRange);
            var hostCoordinates = FrameArray.Uninitialized<int>(voxels * 4);
            var hostFeatures = FrameArray.Uninitialized<float>(voxels * Voxelizer.Channels);
            coordinates.View.CopyToCPU(stream, hostCoordinates);
            features.View.CopyToCPU(stream, hostFeatures);
            stream.Synchronize();
            var tensor = new SparseTensor(hostFeatures, hostCoordinates, Voxelizer.Channels, shape, clouds.Count);
            onDevice = new DeviceVoxels(tensor, coordinates, features);
            return new VoxelizationResult(tensor, kept, total - kept);
        }
        catch
        {
            coordinates.Dispose();
            features.Dispose();
            throw;
        }
    }

    private GridStrideRange Range(long elements) => new(checked((int)elements), GridStride.Width(_accelerator, elements));

    /// <summary>The voxel config as kernel arguments: the range's minimum and the voxel size in double, the grid in cells.</summary>
    internal readonly record struct VoxelGrid(double MinX, double MinY, double MinZ, double VoxelX, double VoxelY, double VoxelZ, int GridX, int GridY, int GridZ, SpatialShape Shape)
    {
        public static VoxelGrid Of(VoxelConfig c) => new(c.MinX, c.MinY, c.MinZ, c.VoxelX, c.VoxelY, c.VoxelZ, c.GridX, c.GridY, c.GridZ, c.SpatialShape);
    }

    private static void KeysKernel(
        Index1D thread, ArrayView<float> points, ArrayView<int> batchStart, VoxelGrid grid, long total, ArrayView<long> keys, ArrayView<int> counters, GridStrideRange range)
    {
        for (int p = thread; p < range.Elements; p += range.Width)
        {
            float x = points[p * 4L], y = points[p * 4L + 1], z = points[p * 4L + 2], intensity = points[p * 4L + 3];
            keys[p] = OutOfRange;
            if (!Finite(x) || !Finite(y) || !Finite(z) || !Finite(intensity))
            {
                Atomic.Min(ref counters[1], p);
                continue;
            }
            // The host voxelizer's arithmetic: float promoted to double, floor of the quotient.
            int vx = (int)Math.Floor((x - grid.MinX) / grid.VoxelX);
            int vy = (int)Math.Floor((y - grid.MinY) / grid.VoxelY);
            int vz = (int)Math.Floor((z - grid.MinZ) / grid.VoxelZ);
            if ((uint)vx >= (uint)grid.GridX || (uint)vy >= (uint)grid.GridY || (uint)vz >= (uint)grid.GridZ)
            {
                continue;
            }
            int batch = 0;
            while (p >= batchStart[batch + 1])
            {
                batch++;
            }
            keys[p] = grid.Shape.Key(batch, vz, vy, vx) * total + p;
            Atomic.Add(ref counters[0], 1);
        }
    }

    /// <summary>Not NaN or ±∞: the exponent bits are not all set.</summary>
    private static bool Finite(float value) => (Interop.FloatAsInt(value) & 0x7FFFFFFFu) < 0x7F800000u;

    private static void StartsKernel(
        Index1D thread, ArrayView<long> keys, long total, ArrayView<long> starts, ArrayView<int> counters, GridStrideRange range)
    {
        for (int i = thread; i < range.Elements; i += range.Width)
        {
            if (i == 0 || keys[i] / total != keys[i - 1] / total)
            {
                starts[Atomic.Add(ref counters[0], 1)] = i;
            }
        }
    }

    private static void MeansKernel(
        Index1D thread, ArrayView<long> keys, ArrayView<long> starts, int kept, ArrayView<float> points, ArrayView<float> lags, long total,
        SpatialShape shape, ArrayView<int> coordinates, ArrayView<float> features, GridStrideRange range)
    {
        for (int voxel = thread; voxel < range.Elements; voxel += range.Width)
        {
            int begin = (int)starts[voxel], end = voxel + 1 < range.Elements ? (int)starts[voxel + 1] : kept;
            double x = 0, y = 0, z = 0, intensity = 0, lag = 0;
            for (int i = begin; i < end; i++)
            {
                long p = keys[i] % total;
                x += points[p * 4];
                y += points[p * 4 + 1];
                z += points[p * 4 + 2];
                intensity += points[p * 4 + 3];
                lag += lags[p];
            }
            int members = end - begin;
            features[voxel * 5L] = (float)(x / members);
            features[voxel * 5L + 1] = (float)(y / members);
            features[voxel * 5L + 2] = (float)(z / members);
            features[voxel * 5L + 3] = (float)(intensity / members);
            features[voxel * 5L + 4] = (float)(lag / members);
            long key = keys[begin] / total;
            coordinates[voxel * 4L + 3] = (int)(key % shape.Width);
            key /= shape.Width;
            coordinates[voxel * 4L + 2] = (int)(key % shape.Height);
            key /= shape.Height;
            coordinates[voxel * 4L + 1] = (int)(key % shape.Depth);
            coordinates[voxel * 4L] = (int)(key / shape.Depth);
        }
    }
}
