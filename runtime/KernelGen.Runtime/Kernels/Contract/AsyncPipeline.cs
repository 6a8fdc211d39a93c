namespace KernelGen.Kernels;

/// <summary>
/// The gather pipeline of a tensor-core kernel declared with <see cref="TileAttribute.AsyncStages"/>: while the warps
/// multiply one step, <c>cp.async</c> copies of the next <see cref="Stages"/> − 1 steps' input and weight words are in
/// flight, each stage a buffer of the kernel's dynamic shared memory.
/// </summary>
/// <param name="Stages">Shared buffers, and steps in flight + 1 (2 to 4).</param>
/// <param name="DynamicSharedMemoryBytes">The stages' dynamic shared memory per group, bytes (part of <see cref="Variants.KernelVariant.SharedMemoryBytes"/>).</param>
public sealed record AsyncPipeline(int Stages, int DynamicSharedMemoryBytes);
