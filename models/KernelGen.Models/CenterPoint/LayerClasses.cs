using KernelGen;

namespace KernelGen.Models.CenterPoint;

// One annotated class per distinct conv shape of CenterPoint's SpMiddleResNetFHD (nuScenes), with two tile candidates
// and W8A8 + SmoothQuant on every layer. The 128-channel layers add a tile covering all of Cout (as spconv 2 and
// TorchSparse++ tile them), so each input row is gathered once per offset instead of once per 64 channels; the tuner
// measures it against the others on the device. The 128-row tiles' tensor-core kernels also come as 3-stage cp.async
// pipelines (AsyncStages), which the tuner measures against the register-staged ones.

// conv_input has 5 input channels: int8 packs them into two words of four (3 of 8 bytes padding, KGEN0013). Accepted
// on purpose: the first layer competes in the precision policy like the others (NVIDIA's deployment keeps it in higher
// precision; calibration decides here). Its input is signed (x, y, z), which every int8 path computes exactly.
[SparseConv3d(InChannels = 5, OutChannels = 16, Kernel = 3, Padding = 1, Bias = true, Activation = Activation.Relu)]
[Tile(BlockM = 64, BlockN = 16, BlockK = 8)]
[Tile(BlockM = 128, BlockN = 16, BlockK = 8, AsyncStages = 3)]
[Quantize(Precision.W8A8, Precision.F16, SmoothQuant = true, AcceptChannelPadding = true)]
public partial class ConvInput { }

[SparseConv3d(InChannels = 16, OutChannels = 16, Kernel = 3, Padding = 1, Bias = true, Activation = Activation.Relu)]
[Tile(BlockM = 64, BlockN = 16, BlockK = 16)]
[Tile(BlockM = 128, BlockN = 16, BlockK = 16, AsyncStages = 3)]
[Quantize(Precision.W8A8, Precision.F16, SmoothQuant = true)]
public partial class Subm16 { }

[SparseConv3d(InChannels = 16, OutChannels = 32, Kind = ConvKind.Sparse, Kernel = 3, Stride = 2, Padding = 1, Bias = true, Activation = Activation.Relu)]
[Tile(BlockM = 64, BlockN = 32, BlockK = 16)]
[Tile(BlockM = 128, BlockN = 32, BlockK = 16, AsyncStages = 3)]
[Quantize(Precision.W8A8, Precision.F16, SmoothQuant = true)]
public partial class Down16To32 { }

[SparseConv3d(InChannels = 32, OutChannels = 32, Kernel = 3, Padding = 1, Bias = true, Activation = Activation.Relu)]
[Tile(BlockM = 64, BlockN = 32, BlockK = 16)]
[Tile(BlockM = 128, BlockN = 32, BlockK = 32, AsyncStages = 3)]
[Quantize(Precision.W8A8, Precision.F16, SmoothQuant = true)]
public partial class Subm32 { }

[SparseConv3d(InChannels = 32, OutChannels = 64, Kind = ConvKind.Sparse, Kernel = 3, Stride = 2, Padding = 1, Bias = true, Activation = Activation.Relu)]
[Tile(BlockM = 64, BlockN = 32, BlockK = 16)]
[Tile(BlockM = 128, BlockN = 64, BlockK = 32, AsyncStages = 3)]
[Quantize(Precision.W8A8, Precision.F16, SmoothQuant = true)]
public partial class Down32To64 { }

[SparseConv3d(InChannels = 64, OutChannels = 64, Kernel = 3, Padding = 1, Bias = true, Activation = Activation.Relu)]
[Tile(BlockM = 64, BlockN = 32, BlockK = 16)]
[Tile(BlockM = 128, BlockN = 64, BlockK = 32, AsyncStages = 3)]
[Quantize(Precision.W8A8, Precision.F16, SmoothQuant = true)]
public partial class Subm64 { }

[SparseConv3d(InChannels = 64, OutChannels = 128, Kind = ConvKind.Sparse, Kernel = 3, Stride = 2, PaddingPerAxis = new[] { 0, 1, 1 }, Bias = true, Activation = Activation.Relu)]
[Tile(BlockM = 64, BlockN = 32, BlockK = 16)]
[Tile(BlockM = 128, BlockN = 64, BlockK = 32, AsyncStages = 3)]
[Tile(BlockM = 64, BlockN = 128, BlockK = 32)]
[Quantize(Precision.W8A8, Precision.F16, SmoothQuant = true)]
public partial class Down64To128 { }

[SparseConv3d(InChannels = 128, OutChannels = 128, Kernel = 3, Padding = 1, Bias = true, Activation = Activation.Relu)]
[Tile(BlockM = 64, BlockN = 32, BlockK = 16)]
[Tile(BlockM = 128, BlockN = 64, BlockK = 32, AsyncStages = 3)]
[Tile(BlockM = 64, BlockN = 128, BlockK = 32)]
[Quantize(Precision.W8A8, Precision.F16, SmoothQuant = true)]
public partial class Subm128 { }

[SparseConv3d(InChannels = 128, OutChannels = 128, Kind = ConvKind.Sparse, KernelPerAxis = new[] { 3, 1, 1 }, StridePerAxis = new[] { 2, 1, 1 }, Bias = true, Activation = Activation.Relu)]
[Tile(BlockM = 64, BlockN = 32, BlockK = 16)]
[Tile(BlockM = 128, BlockN = 64, BlockK = 32, AsyncStages = 3)]
[Tile(BlockM = 64, BlockN = 128, BlockK = 32)]
[Quantize(Precision.W8A8, Precision.F16, SmoothQuant = true)]
public partial class ExtraConv { }
