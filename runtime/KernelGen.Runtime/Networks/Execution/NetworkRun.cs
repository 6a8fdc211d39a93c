using KernelGen.Tensors;

namespace KernelGen.Networks;

/// <summary>The result of one run: the last node's output and, per node, the kernel that ran and its time.</summary>
/// <param name="Output">The last node's output.</param>
/// <param name="Nodes">Per node: name, kernel, precision, milliseconds.</param>
/// <param name="Outputs">Every node's output by name, when the run was asked to keep them (reports, tests); else empty.</param>
public sealed record NetworkRun(SparseTensor Output, IReadOnlyList<NodeRun> Nodes, IReadOnlyDictionary<string, SparseTensor> Outputs)
{
    /// <summary>Sum of the node times.</summary>
    public double TotalMs => Nodes.Sum(n => n.Ms);
}

/// <summary>One node's run.</summary>
public sealed record NodeRun(string Node, string Kernel, Precision Precision, double Ms);
