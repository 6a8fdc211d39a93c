using KernelGen;

namespace KernelGen.Samples;

/// <summary>CenterPoint's third downsampling conv (conv3.0): 32 → 64, kernel 3, stride 2, padding 1, with folded BN and ReLU.</summary>
[SparseConv3d(InChannels = 32, OutChannels = 64, Kind = ConvKind.Sparse, Kernel = 3, Stride = 2, Padding = 1,
              Bias = true, Activation = Activation.Relu)]
[Tile(BlockM = 64, BlockN = 32, BlockK = 16)]
[Tile(BlockM = 128, BlockN = 64, BlockK = 32)]
[Quantize(Precision.W8A8, SmoothQuant = true)]
public partial class Conv3Down
{
}

/// <summary>CenterPoint's extra_conv: 128 → 128, kernel (3,1,1), stride (2,1,1), no padding.</summary>
[SparseConv3d(InChannels = 128, OutChannels = 128, Kind = ConvKind.Sparse, KernelPerAxis = new[] { 3, 1, 1 },
              StridePerAxis = new[] { 2, 1, 1 }, Padding = 0, Bias = true, Activation = Activation.Relu)]
[Tile(BlockM = 64, BlockN = 64, BlockK = 32)]
[Quantize(Precision.W8A8)]
public partial class ExtraConv
{
}

/// <summary>A SubM 3×3×3 conv of CenterPoint's first stage (16 → 16), fp32 only.</summary>
[SparseConv3d(InChannels = 16, OutChannels = 16, Kernel = 3, Padding = 1, Bias = true, Activation = Activation.Relu)]
[Tile(BlockM = 32, BlockN = 16, BlockK = 16)]
[Tile(BlockM = 64, BlockN = 16, BlockK = 8)]
public partial class SubmStage1
{
}
