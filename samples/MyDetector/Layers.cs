using KernelGen;

namespace MyDetector;

// The backbone's layers, one annotated class per distinct conv shape: the generator writes their kernels (GPU-style,
// barrier-free, CPU SIMD; fp32 and W8A8 + SmoothQuant) at build time.

/// <summary>Stem: SubM 4 → 16 on x, y, z, intensity (4 channels fill one int8 word, so it has W8A8 kernels too).</summary>
[SparseConv3d(InChannels = 4, OutChannels = 16, Kernel = 3, Padding = 1, Bias = true, Activation = Activation.Relu)]
[Tile(BlockM = 64, BlockN = 16, BlockK = 4)]
[Quantize(Precision.W8A8)]
public partial class Stem { }

/// <summary>Downsampling: SparseConv 16 → 32, k3 s2 p1.</summary>
[SparseConv3d(InChannels = 16, OutChannels = 32, Kind = ConvKind.Sparse, Kernel = 3, Stride = 2, Padding = 1, Bias = true, Activation = Activation.Relu)]
[Tile(BlockM = 64, BlockN = 32, BlockK = 16)]
[Tile(BlockM = 128, BlockN = 32, BlockK = 16)]
[Quantize(Precision.W8A8, SmoothQuant = true)]
public partial class Down { }

/// <summary>Residual block conv: SubM 32 → 32 (the block's second conv adds the block's input before the ReLU).</summary>
[SparseConv3d(InChannels = 32, OutChannels = 32, Kernel = 3, Padding = 1, Bias = true, Activation = Activation.Relu)]
[Tile(BlockM = 64, BlockN = 32, BlockK = 16)]
[Tile(BlockM = 128, BlockN = 32, BlockK = 32)]
[Quantize(Precision.W8A8, SmoothQuant = true)]
public partial class Block { }
