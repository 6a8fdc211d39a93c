using ILGPU.Runtime;

namespace KernelGen.Kernels;

/// <summary>
/// The one way to run a layer: every generated variant (GPU-style, barrier-free, CPU SIMD of each instruction set) and
/// the generic kernels implement it. A kernel declares what it can do in <see cref="Capabilities"/>; callers pick a
/// kernel by its capabilities and run it through <see cref="Run"/>, never by switching on its type or resolving a name.
/// </summary>
public interface IConvKernel
{
    /// <summary>Unique among the kernels of one layer, stable across builds (the tuning cache stores it).</summary>
    string Name { get; }

    /// <summary>What the kernel can do: device, instruction set, precisions, residual, activation.</summary>
    KernelCapabilities Capabilities { get; }

    /// <summary>How it is organised (GPU-style, barrier-free, CPU SIMD, generic): the default choice and the tuner's order read it.</summary>
    KernelShape Shape { get; }

    /// <summary>Its tile (zero for the generic kernels).</summary>
    TileShape Tile { get; }

    /// <summary>Whether the kernel can run on <paramref name="accelerator"/>, and why not.</summary>
    bool CanRun(Accelerator accelerator, out string? reason);

    /// <summary>
    /// Runs the layer on <paramref name="call"/>'s tensors. The call is validated first: shapes, a kernel map of another
    /// geometry than the layer's, and a feature the kernel does not declare are <see cref="ArgumentException"/>s
    /// (<see cref="NotSupportedException"/> for an undeclared capability), before any instruction-set or device check.
    /// </summary>
    void Run(Accelerator accelerator, ConvCall call);

    /// <summary>
    /// Launches the layer on device-resident tensors on <paramref name="stream"/> (asynchronous: no copies, no
    /// synchronisation), so a network's activations stay in the accelerator's memory from node to node. Validated like
    /// <see cref="Run"/>; a kernel whose <see cref="KernelCapabilities.Device"/> is the host refuses with a
    /// <see cref="NotSupportedException"/>.
    /// </summary>
    void Launch(AcceleratorStream stream, DeviceConvCall call);
}
