namespace KernelGen;

/// <summary>The activation applied in a conv's epilogue, after the bias.</summary>
public enum Activation
{
    /// <summary>Identity.</summary>
    None,

    /// <summary>max(x, 0).</summary>
    Relu,
}
