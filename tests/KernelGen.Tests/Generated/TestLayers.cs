using KernelGen;

namespace KernelGen.Tests.Generated;

// Layers whose generated kernels the behaviour tests run. Shapes are chosen to hit the tails: channel counts that are
// not multiples of 4 or of the tile, Cout not a multiple of the register tile, rows not a multiple of BlockM.

/// <summary>
/// SubM 3×3×3, Cin 7 (W8A8 pads to 8), Cout 10; tiles with every tail; fp32, W8A8 + SmoothQuant and fp16; a 2-stage
/// cp.async pipeline whose int8 rows are not whole words (inputs through registers, weights copied).
/// </summary>
[SparseConv3d(InChannels = 7, OutChannels = 10, Kernel = 3, Padding = 1, Bias = true, Activation = Activation.Relu)]
[Tile(BlockM = 16, BlockN = 4, BlockK = 4)]
[Tile(BlockM = 32, BlockN = 16, BlockK = 8)]
[Tile(BlockM = 32, BlockN = 16, BlockK = 8, AsyncStages = 2)]
[Quantize(Precision.W8A8, Precision.F16, SmoothQuant = true, AcceptChannelPadding = true)] // the padding is what this layer tests
public partial class SubmOddChannels
{
}

/// <summary>
/// Strided 3×3×3 s2 p1, Cin 12, Cout 20, no bias, no activation; fp32, naive W8A8 and fp16; tensor-core kernels also as
/// a 3-stage cp.async pipeline (int8 rows of whole words: int8 and fp16 inputs copied as they are).
/// </summary>
[SparseConv3d(InChannels = 12, OutChannels = 20, Kind = ConvKind.Sparse, Kernel = 3, Stride = 2, Padding = 1)]
[Tile(BlockM = 32, BlockN = 16, BlockK = 8, AsyncStages = 3)]
[Quantize(Precision.W8A8, Precision.F16)]
public partial class DownConv
{
}

/// <summary>CenterPoint's extra_conv shape: kernel (3,1,1), stride (2,1,1), padding 0; W8A8 + SmoothQuant.</summary>
[SparseConv3d(InChannels = 16, OutChannels = 24, Kind = ConvKind.Sparse, KernelPerAxis = new[] { 3, 1, 1 },
              StridePerAxis = new[] { 2, 1, 1 }, Bias = true, Activation = Activation.Relu)]
[Tile(BlockM = 16, BlockN = 16, BlockK = 16)]
[Quantize(Precision.W8A8, Precision.F16, SmoothQuant = true, Alpha = 0.75)]
public partial class ExtraConvShape
{
}

/// <summary>CenterPoint's conv4 downsampling shape: padding (0,1,1), with dilation 2 on a SubM twin below.</summary>
[SparseConv3d(InChannels = 8, OutChannels = 8, Kind = ConvKind.Sparse, Kernel = 3, Stride = 2, PaddingPerAxis = new[] { 0, 1, 1 })]
[Tile(BlockM = 16, BlockN = 8, BlockK = 8)]
[Quantize(Precision.F16)] // fp16 without int8
public partial class DownPadding011
{
}

/// <summary>SubM with dilation 2 and kernel 5 on z only: kernel (5,3,3).</summary>
[SparseConv3d(InChannels = 4, OutChannels = 6, KernelPerAxis = new[] { 5, 3, 3 }, Dilation = 2, Bias = true)]
[Tile(BlockM = 16, BlockN = 8, BlockK = 4)]
[Quantize(Precision.W8A8, Precision.F16)]
public partial class SubmDilated
{
}
