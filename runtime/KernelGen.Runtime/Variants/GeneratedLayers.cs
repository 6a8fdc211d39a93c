using System.Collections.Concurrent;

namespace KernelGen.Variants;

/// <summary>
/// Every generated layer in the loaded assemblies: generated code registers each annotated class from a module
/// initializer, so the runtime (tuner, CLI) can enumerate layers and variants without reflection.
/// </summary>
public static class GeneratedLayers
{
    private static readonly ConcurrentDictionary<string, LayerDescriptor> Layers = new(StringComparer.Ordinal);

    /// <summary>Called by generated code; registering the same name twice keeps the first.</summary>
    public static void Register(LayerDescriptor layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        Layers.TryAdd(layer.Name, layer);
    }

    /// <summary>Registered layers, by name.</summary>
    public static IReadOnlyList<LayerDescriptor> All => Layers.Values.OrderBy(l => l.Name, StringComparer.Ordinal).ToList();

    /// <summary>The layer registered under <paramref name="name"/>, or null.</summary>
    public static LayerDescriptor? TryFind(string name) => Layers.GetValueOrDefault(name);

    /// <summary>The layer registered under <paramref name="name"/> (the annotated class's full name).</summary>
    public static LayerDescriptor Find(string name) =>
        Layers.TryGetValue(name, out var layer)
            ? layer
            : throw new KeyNotFoundException($"no generated layer named '{name}'; registered: {string.Join(", ", Layers.Keys.Order())}");
}
