using System.Security.Cryptography;
using System.Text;
using KernelGen.Kernels;
using KernelGen.Networks;

namespace KernelGen.Profiles;

/// <summary>
/// What a calibration belongs to: SHA-256 of the network description (its canonical JSON) and of the weights (every
/// node's shape, weights and bias, in node order), so a profile or a shard file is refused for another network or
/// other weights.
/// </summary>
internal static class ProfileHashes
{
    /// <summary>"sha256:…" of the description.</summary>
    public static string Network(ValidatedNetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(NetworkJson.Serialize(network.Network))));
    }

    /// <summary>"sha256:…" of the weights the network runs with.</summary>
    public static string Weights(ValidatedNetwork network, IReadOnlyDictionary<string, ConvWeights> weights)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(weights);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var node in network.Network.Nodes)
        {
            var conv = weights.TryGetValue(node.Name, out var w) ? w : throw new ArgumentException($"node {node.Name}: no weights");
            hash.AppendData(Encoding.UTF8.GetBytes($"{node.Name}:{conv.OutChannels}x{conv.Kernel.Z},{conv.Kernel.Y},{conv.Kernel.X}x{conv.InChannels}:"));
            hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(conv.Data.AsSpan()));
            if (conv.Bias is { } bias)
            {
                hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(bias.AsSpan()));
            }
        }
        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
