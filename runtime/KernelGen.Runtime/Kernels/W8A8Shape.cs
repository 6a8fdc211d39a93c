namespace KernelGen.Kernels;

/// <summary>Run-time shape and switches of the generic W8A8 kernel, passed by value.</summary>
internal struct W8A8Shape
{
    /// <summary>Cin.</summary>
    public int InChannels;

    /// <summary>ceil(Cin / 4): packed int8 words per offset.</summary>
    public int InChannelWords;

    /// <summary>Cout.</summary>
    public int OutChannels;

    /// <summary>K.</summary>
    public int KernelVolume;

    /// <summary>1: add the bias.</summary>
    public int HasBias;

    /// <summary>1: ReLU after bias and residual.</summary>
    public int Relu;

    /// <summary>1: add the residual [M, Cout] before the activation.</summary>
    public int HasResidual;

    /// <summary>1: the input is already int8 (quantized by the producing layer); 0: fp32, quantized in the prologue.</summary>
    public int Int8Input;

    /// <summary>1: write int8 with the per-channel output multipliers; 0: write fp32.</summary>
    public int WriteInt8;

    /// <summary>int8 output: the smallest code of the consumer's activation format (s8: −127, u8: 0).</summary>
    public int OutputLow;

    /// <summary>int8 output: the largest code of the consumer's activation format (s8: 127, u8: 255).</summary>
    public int OutputHigh;

    /// <summary>Output elements M · Cout.</summary>
    public int Elements;

    /// <summary>Threads launched (grid-stride).</summary>
    public int Width;
}
