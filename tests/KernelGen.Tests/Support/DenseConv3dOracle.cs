using KernelGen;
using KernelGen.KernelMaps;
using KernelGen.Tensors;

namespace KernelGen.Tests.Support;

/// <summary>
/// The independent reference: a dense conv3d in double over the whole voxel grid. It shares no code with the kernel
/// maps: it scatters the active sites into a dense grid, visits every output cell, and reads neighbours by index
/// arithmetic. For each output site it returns the value and the sum of |terms| (the scale of fp32 rounding error).
/// </summary>
public static class DenseConv3dOracle
{
    public sealed record Result(Dictionary<(int B, int Z, int Y, int X), int> Rows, double[] Values, double[] AbsSums, int Channels, SpatialShape OutputShape)
    {
        /// <summary>
        /// The epilogue's tail on pre-activation values: plus <paramref name="residual"/> [M, Cout] in the kernel map's row
        /// order (when given), then the activation.
        /// </summary>
        public Result WithResidual(KernelMap map, float[]? residual, bool relu)
        {
            var values = Values.ToArray();
            var sums = AbsSums.ToArray();
            for (int row = 0; row < map.OutputCount; row++)
            {
                int o = Rows[(map.OutputCoordinates[row * 4], map.OutputCoordinates[row * 4 + 1], map.OutputCoordinates[row * 4 + 2], map.OutputCoordinates[row * 4 + 3])];
                for (int n = 0; n < Channels; n++)
                {
                    double added = residual?[row * Channels + n] ?? 0;
                    double v = values[o * Channels + n] + added;
                    values[o * Channels + n] = relu ? Math.Max(0, v) : v;
                    sums[o * Channels + n] += Math.Abs(added);
                }
            }
            return this with { Values = values, AbsSums = sums };
        }

        /// <summary>The value of output channel <paramref name="n"/> at the kernel map's output row <paramref name="row"/>.</summary>
        public double ValueAt(KernelMap map, int row, int n) =>
            Values[Rows[(map.OutputCoordinates[row * 4], map.OutputCoordinates[row * 4 + 1], map.OutputCoordinates[row * 4 + 2], map.OutputCoordinates[row * 4 + 3])] * Channels + n];
    }

    /// <summary>spconv SubMConv3d / SparseConv3d semantics over a dense grid.</summary>
    public static Result Forward(SparseTensor input, float[] weights, int cout, ConvGeometry g, float[]? bias, bool relu)
    {
        var shape = input.SpatialShape;
        int cin = input.Channels;
        var dense = Densify(input);
        var active = ActiveMask(input);
        int kd = g.Kernel.Z, kh = g.Kernel.Y, kw = g.Kernel.X;

        SpatialShape outShape;
        if (g.Kind == ConvKind.SubManifold)
        {
            outShape = shape;
        }
        else
        {
            int Extent(int n, int k, int s, int p, int d) => (n + 2 * p - d * (k - 1) - 1) / s + 1;
            outShape = new SpatialShape(
                Extent(shape.Depth, kd, g.Stride.Z, g.Padding.Z, g.Dilation.Z),
                Extent(shape.Height, kh, g.Stride.Y, g.Padding.Y, g.Dilation.Y),
                Extent(shape.Width, kw, g.Stride.X, g.Padding.X, g.Dilation.X));
        }

        var rows = new Dictionary<(int, int, int, int), int>();
        var values = new List<double>();
        var absSums = new List<double>();
        for (int b = 0; b < input.BatchSize; b++)
        for (int oz = 0; oz < outShape.Depth; oz++)
        for (int oy = 0; oy < outShape.Height; oy++)
        for (int ox = 0; ox < outShape.Width; ox++)
        {
            bool isOutput = g.Kind == ConvKind.SubManifold ? active[b, oz, oy, ox] : false;
            var sum = new double[cout];
            var abs = new double[cout];
            for (int a = 0; a < kd; a++)
            for (int c = 0; c < kh; c++)
            for (int e = 0; e < kw; e++)
            {
                int iz, iy, ix;
                if (g.Kind == ConvKind.SubManifold)
                {
                    iz = oz + (a - kd / 2) * g.Dilation.Z;
                    iy = oy + (c - kh / 2) * g.Dilation.Y;
                    ix = ox + (e - kw / 2) * g.Dilation.X;
                }
                else
                {
                    iz = oz * g.Stride.Z - g.Padding.Z + a * g.Dilation.Z;
                    iy = oy * g.Stride.Y - g.Padding.Y + c * g.Dilation.Y;
                    ix = ox * g.Stride.X - g.Padding.X + e * g.Dilation.X;
                }
                if (iz < 0 || iy < 0 || ix < 0 || iz >= shape.Depth || iy >= shape.Height || ix >= shape.Width || !active[b, iz, iy, ix])
                {
                    continue;
                }
                if (g.Kind != ConvKind.SubManifold)
                {
                    isOutput = true;
                }
                int k = (a * kh + c) * kw + e;
                for (int n = 0; n < cout; n++)
                for (int ci = 0; ci < cin; ci++)
                {
                    double term = dense[b, iz, iy, ix][ci] * (double)weights[((n * kd * kh * kw) + k) * cin + ci];
                    sum[n] += term;
                    abs[n] += Math.Abs(term);
                }
            }
            if (!isOutput)
            {
                continue;
            }
            rows[(b, oz, oy, ox)] = rows.Count;
            for (int n = 0; n < cout; n++)
            {
                double v = sum[n] + (bias?[n] ?? 0.0);
                values.Add(relu ? Math.Max(v, 0) : v);
                absSums.Add(abs[n] + Math.Abs(bias?[n] ?? 0.0));
            }
        }
        return new Result(rows, values.ToArray(), absSums.ToArray(), cout, outShape);
    }

    /// <summary>
    /// spconv SparseInverseConv3d semantics: the output sites are <paramref name="forwardInput"/>'s sites; output x
    /// gathers input o through offset k whenever o * stride - padding + k * dilation = x (a transposed conv).
    /// </summary>
    public static Result Inverse(SparseTensor input, SparseTensor forwardInput, float[] weights, int cout, ConvGeometry g)
    {
        var shape = forwardInput.SpatialShape;
        int cin = input.Channels;
        var dense = Densify(input);
        var activeIn = ActiveMask(input);
        var rows = new Dictionary<(int, int, int, int), int>();
        var values = new double[forwardInput.Count * cout];
        var absSums = new double[forwardInput.Count * cout];
        for (int r = 0; r < forwardInput.Count; r++)
        {
            rows[(forwardInput.Coordinates[r * 4], forwardInput.Coordinates[r * 4 + 1], forwardInput.Coordinates[r * 4 + 2], forwardInput.Coordinates[r * 4 + 3])] = r;
        }
        var inShape = input.SpatialShape;
        for (int b = 0; b < input.BatchSize; b++)
        for (int oz = 0; oz < inShape.Depth; oz++)
        for (int oy = 0; oy < inShape.Height; oy++)
        for (int ox = 0; ox < inShape.Width; ox++)
        {
            if (!activeIn[b, oz, oy, ox])
            {
                continue;
            }
            for (int a = 0; a < g.Kernel.Z; a++)
            for (int c = 0; c < g.Kernel.Y; c++)
            for (int e = 0; e < g.Kernel.X; e++)
            {
                int x0 = oz * g.Stride.Z - g.Padding.Z + a * g.Dilation.Z;
                int x1 = oy * g.Stride.Y - g.Padding.Y + c * g.Dilation.Y;
                int x2 = ox * g.Stride.X - g.Padding.X + e * g.Dilation.X;
                if (!rows.TryGetValue((b, x0, x1, x2), out int row))
                {
                    continue;
                }
                int k = (a * g.Kernel.Y + c) * g.Kernel.X + e;
                for (int n = 0; n < cout; n++)
                for (int ci = 0; ci < cin; ci++)
                {
                    double term = dense[b, oz, oy, ox][ci] * (double)weights[(n * g.KernelVolume + k) * cin + ci];
                    values[row * cout + n] += term;
                    absSums[row * cout + n] += Math.Abs(term);
                }
            }
        }
        return new Result(rows, values, absSums, cout, shape);
    }

    private static double[,,,][] Densify(SparseTensor input)
    {
        var s = input.SpatialShape;
        var dense = new double[input.BatchSize, s.Depth, s.Height, s.Width][];
        for (int b = 0; b < input.BatchSize; b++)
        for (int z = 0; z < s.Depth; z++)
        for (int y = 0; y < s.Height; y++)
        for (int x = 0; x < s.Width; x++)
        {
            dense[b, z, y, x] = new double[input.Channels];
        }
        for (int r = 0; r < input.Count; r++)
        {
            var cell = dense[input.Coordinates[r * 4], input.Coordinates[r * 4 + 1], input.Coordinates[r * 4 + 2], input.Coordinates[r * 4 + 3]];
            for (int c = 0; c < input.Channels; c++)
            {
                cell[c] = input.Features[r * input.Channels + c];
            }
        }
        return dense;
    }

    private static bool[,,,] ActiveMask(SparseTensor input)
    {
        var s = input.SpatialShape;
        var mask = new bool[input.BatchSize, s.Depth, s.Height, s.Width];
        for (int r = 0; r < input.Count; r++)
        {
            mask[input.Coordinates[r * 4], input.Coordinates[r * 4 + 1], input.Coordinates[r * 4 + 2], input.Coordinates[r * 4 + 3]] = true;
        }
        return mask;
    }
}
