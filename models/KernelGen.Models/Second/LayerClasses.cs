using KernelGen;

namespace KernelGen.Models.Second;

// SECOND's sparse middle extractor (OpenPCDet VoxelBackBone8x, KITTI: sparse shape 41 × 1600 × 1408, 4 input
// features): one annotated class per distinct conv shape. Every conv is followed by a BatchNorm (folded into the
// weights) and ReLU; no residuals. conv_input's 4 input channels pack into one int8 word, so it has W8A8 kernels too.

[SparseConv3d(InChannels = 4, OutChannels = 16, Kernel = 3, Padding = 1, Bias = true, Activation = Activation.Relu)]
[Tile(BlockM = 64, BlockN = 16, BlockK = 4)]
[Tile(BlockM = 128, BlockN = 16, BlockK = 4)]
[Quantize(Precision.W8A8, Precision.F16)]
public partial class SecondInput { }

[SparseConv3d(InChannels = 16, OutChannels = 16, Kernel = 3, Padding = 1, Bias = true, Activation = Activation.Relu)]
[Tile(BlockM = 64, BlockN = 16, BlockK = 16)]
[Tile(BlockM = 128, BlockN = 16, BlockK = 16)]
[Quantize(Precision.W8A8, Precision.F16, SmoothQuant = true)]
public partial class SecondSubm16 { }

[SparseConv3d(InChannels = 16, OutChannels = 32, Kind = ConvKind.Sparse, Kernel = 3, Stride = 2, Padding = 1, Bias = true, Activation = Activation.Relu)]
[Tile(BlockM = 64, BlockN = 32, BlockK = 16)]
[Tile(BlockM = 128, BlockN = 32, BlockK = 16)]
[Quantize(Precision.W8A8, Precision.F16, SmoothQuant = true)]
public partial class SecondDown16To32 { }

[SparseConv3d(InChannels = 32, OutChannels = 32, Kernel = 3, Padding = 1, Bias = true, Activation = Activation.Relu)]
[Tile(BlockM = 64, BlockN = 32, BlockK = 16)]
[Tile(BlockM = 128, BlockN = 32, BlockK = 32)]
[Quantize(Precision.W8A8, Precision.F16, SmoothQuant = true)]
public partial class SecondSubm32 { }

[SparseConv3d(InChannels = 32, OutChannels = 64, Kind = ConvKind.Sparse, Kernel = 3, Stride = 2, Padding = 1, Bias = true, Activation = Activation.Relu)]
[Tile(BlockM = 64, BlockN = 32, BlockK = 16)]
[Tile(BlockM = 128, BlockN = 64, BlockK = 32)]
[Quantize(Precision.W8A8, Precision.F16, SmoothQuant = true)]
public partial class SecondDown32To64 { }

[SparseConv3d(InChannels = 64, OutChannels = 64, Kernel = 3, Padding = 1, Bias = true, Activation = Activation.Relu)]
[Tile(BlockM = 64, BlockN = 32, BlockK = 16)]
[Tile(BlockM = 128, BlockN = 64, BlockK = 32)]
[Quantize(Precision.W8A8, Precision.F16, SmoothQuant = true)]
public partial class SecondSubm64 { }

[SparseConv3d(InChannels = 64, OutChannels = 64, Kind = ConvKind.Sparse, Kernel = 3, Stride = 2, PaddingPerAxis = new[] { 0, 1, 1 }, Bias = true, Activation = Activation.Relu)]
[Tile(BlockM = 64, BlockN = 32, BlockK = 16)]
[Tile(BlockM = 128, BlockN = 64, BlockK = 32)]
[Quantize(Precision.W8A8, Precision.F16, SmoothQuant = true)]
public partial class SecondDown64To64 { }

[SparseConv3d(InChannels = 64, OutChannels = 128, Kind = ConvKind.Sparse, KernelPerAxis = new[] { 3, 1, 1 }, StridePerAxis = new[] { 2, 1, 1 }, Bias = true, Activation = Activation.Relu)]
[Tile(BlockM = 64, BlockN = 32, BlockK = 16)]
[Tile(BlockM = 128, BlockN = 64, BlockK = 32)]
[Quantize(Precision.W8A8, Precision.F16, SmoothQuant = true)]
public partial class SecondOut { }
