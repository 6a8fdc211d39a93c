using KernelGen.Quantization;

namespace KernelGen.Profiles;

/// <summary>
/// One node's int8 decision made by another toolchain (NVIDIA's PTQ export): whether it runs int8, and the amax of its
/// input activations, coded in <paramref name="Format"/> (NVIDIA's int8 is symmetric: s8, scale amax / 127).
/// </summary>
/// <param name="Node">The description node.</param>
/// <param name="Int8">Whether the toolchain runs it int8 (otherwise fp16 there; fp32 on the CPU here).</param>
/// <param name="InputAmax">The input's amax, or null when the toolchain gives none (the node stays floating point).</param>
/// <param name="Format">The activation code.</param>
public sealed record ExternalLayerScales(string Node, bool Int8, float? InputAmax, ActivationFormat Format = ActivationFormat.S8);
