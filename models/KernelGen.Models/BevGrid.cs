using KernelGen.Tensors;

namespace KernelGen.Models;

/// <summary>
/// A backbone's sparse output scattered to the dense bird's-eye-view grid a detection head reads, so two runs (fp32 and
/// int8, or two sensors) are compared as the head would see them.
/// </summary>
public static class BevGrid
{
    /// <summary>
    /// <paramref name="output"/>'s batch item 0 as a dense grid [C · D, H, W] (channels and depth stacked, as
    /// CenterPoint's and SECOND's heads flatten them), zeros where no site is active.
    /// </summary>
    public static float[] Of(SparseTensor output, out int[] shape)
    {
        ArgumentNullException.ThrowIfNull(output);
        var s = output.SpatialShape;
        int c = output.Channels;
        shape = [c * s.Depth, s.Height, s.Width];
        var bev = new float[(long)c * s.Depth * s.Height * s.Width];
        for (int row = 0; row < output.Count; row++)
        {
            if (output.Coordinates[row * 4] != 0)
            {
                continue;
            }
            int z = output.Coordinates[row * 4 + 1], y = output.Coordinates[row * 4 + 2], x = output.Coordinates[row * 4 + 3];
            for (int channel = 0; channel < c; channel++)
            {
                bev[(((long)channel * s.Depth + z) * s.Height + y) * s.Width + x] = output.Features[row * c + channel];
            }
        }
        return bev;
    }
}
