namespace KernelGen.Kernels;

/// <summary>Run-time shape of an implicit GEMM, passed by value to the generic kernel.</summary>
internal struct GemmShape
{
    /// <summary>Cin, the reduction length per kernel offset.</summary>
    public int InChannels;

    /// <summary>Cout.</summary>
    public int OutChannels;

    /// <summary>K, the number of kernel offsets.</summary>
    public int KernelVolume;

    /// <summary>1 to add the bias, 0 to skip it (kernels take no bools: their layout differs across backends).</summary>
    public int HasBias;

    /// <summary>1 to apply ReLU after the bias (and residual).</summary>
    public int Relu;

    /// <summary>1 to add a residual [M, Cout] before the activation (spconv's SubM + add + ReLU block).</summary>
    public int HasResidual;

    /// <summary>1 to round every feature and weight to fp16 before it is multiplied (the generic fp16 kernel; fp32 sums).</summary>
    public int HalfOperands;
}
