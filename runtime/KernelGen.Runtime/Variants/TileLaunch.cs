namespace KernelGen.Variants;

/// <summary>Per-call scalars of a generated kernel, passed by value.</summary>
public struct TileLaunch
{
    /// <summary>Output rows M.</summary>
    public int Rows;

    /// <summary>Threads launched (barrier-free kernels loop over their work items with this stride).</summary>
    public int Width;

    /// <summary>1: W8A8 kernels write re-quantized int8 (for the next int8 layer) instead of fp32.</summary>
    public int WriteInt8;

    /// <summary>1 / s_out, the next layer's activation-quantize multiplier, when <see cref="WriteInt8"/> is 1.</summary>
    public float OutputMultiplier;
}
