using KernelGen;

namespace KernelGen.Tests.Generated;

// Every conv shape of CenterPoint's SpMiddleResNetFHD (nuScenes), for the CPU SIMD variant tests. One tile each:
// BlockN 32 or 64 gives 1–4 vectors per register tile at both vector widths.

[SparseConv3d(InChannels = 5, OutChannels = 16, Kernel = 3, Padding = 1, Bias = true, Activation = Activation.Relu)]
[Tile(BlockM = 32, BlockN = 16, BlockK = 8)]
public partial class CpConvInput { }

[SparseConv3d(InChannels = 16, OutChannels = 16, Kernel = 3, Padding = 1, Bias = true, Activation = Activation.Relu)]
[Tile(BlockM = 32, BlockN = 16, BlockK = 16)]
[Quantize(QuantMode.W8A8, SmoothQuant = true)]
public partial class CpSubm16 { }

[SparseConv3d(InChannels = 16, OutChannels = 32, Kind = ConvKind.Sparse, Kernel = 3, Stride = 2, Padding = 1, Bias = true, Activation = Activation.Relu)]
[Tile(BlockM = 32, BlockN = 32, BlockK = 16)]
[Quantize(QuantMode.W8A8, SmoothQuant = true)]
public partial class CpDown16To32 { }

[SparseConv3d(InChannels = 32, OutChannels = 32, Kernel = 3, Padding = 1, Bias = true, Activation = Activation.Relu)]
[Tile(BlockM = 32, BlockN = 32, BlockK = 16)]
[Quantize(QuantMode.W8A8, SmoothQuant = true)]
public partial class CpSubm32 { }

[SparseConv3d(InChannels = 32, OutChannels = 64, Kind = ConvKind.Sparse, Kernel = 3, Stride = 2, Padding = 1, Bias = true, Activation = Activation.Relu)]
[Tile(BlockM = 32, BlockN = 64, BlockK = 16)]
[Quantize(QuantMode.W8A8, SmoothQuant = true)]
public partial class CpDown32To64 { }

[SparseConv3d(InChannels = 64, OutChannels = 64, Kernel = 3, Padding = 1, Bias = true, Activation = Activation.Relu)]
[Tile(BlockM = 32, BlockN = 64, BlockK = 16)]
[Quantize(QuantMode.W8A8, SmoothQuant = true)]
public partial class CpSubm64 { }

[SparseConv3d(InChannels = 64, OutChannels = 128, Kind = ConvKind.Sparse, Kernel = 3, Stride = 2, PaddingPerAxis = new[] { 0, 1, 1 }, Bias = true, Activation = Activation.Relu)]
[Tile(BlockM = 32, BlockN = 64, BlockK = 16)]
[Quantize(QuantMode.W8A8, SmoothQuant = true)]
public partial class CpDown64To128 { }

[SparseConv3d(InChannels = 128, OutChannels = 128, Kernel = 3, Padding = 1, Bias = true, Activation = Activation.Relu)]
[Tile(BlockM = 32, BlockN = 64, BlockK = 16)]
[Quantize(QuantMode.W8A8, SmoothQuant = true)]
public partial class CpSubm128 { }

[SparseConv3d(InChannels = 128, OutChannels = 128, Kind = ConvKind.Sparse, KernelPerAxis = new[] { 3, 1, 1 }, StridePerAxis = new[] { 2, 1, 1 }, Bias = true, Activation = Activation.Relu)]
[Tile(BlockM = 32, BlockN = 64, BlockK = 16)]
[Quantize(QuantMode.W8A8, SmoothQuant = true)]
public partial class CpExtraConv { }
