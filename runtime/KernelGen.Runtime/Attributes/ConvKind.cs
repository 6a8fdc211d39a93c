namespace KernelGen;

/// <summary>Which sparse convolution a kernel map serves (spconv's SubMConv3d, SparseConv3d, SparseInverseConv3d).</summary>
public enum ConvKind
{
    /// <summary>Submanifold: output sites are the input sites, the kernel is centred on each (odd sizes, stride 1).</summary>
    SubManifold,

    /// <summary>Regular sparse conv: output sites are every site some input reaches.</summary>
    Sparse,

    /// <summary>Inverse of a regular sparse conv: output sites are the input sites of the conv it inverts.</summary>
    Inverse,
}
