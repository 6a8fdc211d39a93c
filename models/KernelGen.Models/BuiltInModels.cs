using System.Reflection;
using KernelGen.Networks;

namespace KernelGen.Models;

/// <summary>
/// The networks that ship with KernelGen, by name: <c>centerpoint</c> (SpMiddleResNetFHD, nuScenes, 21 convs with
/// residual blocks) and <c>second</c> (OpenPCDet's VoxelBackBone8x, KITTI, 12 convs). Each is a description file
/// embedded here plus the annotated layer classes of this assembly, which register (module initializer) before any
/// member of this class runs.
/// </summary>
public static class BuiltInModels
{
    /// <summary>The built-in names.</summary>
    public static IReadOnlyList<string> Names { get; } = ["centerpoint", "second"];

    /// <summary>The description of built-in <paramref name="name"/>, validated against this assembly's layer classes.</summary>
    public static ValidatedNetwork Load(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!Names.Contains(name))
        {
            throw new ArgumentException($"no built-in model '{name}'; built-in: {string.Join(", ", Names)} (or give a description .json file)");
        }
        using var stream = typeof(BuiltInModels).Assembly.GetManifestResourceStream($"KernelGen.Models.{name}.json")
            ?? throw new InvalidOperationException($"the description of '{name}' is not embedded");
        using var reader = new StreamReader(stream);
        return NetworkValidator.Validate(NetworkJson.Parse(reader.ReadToEnd(), $"{name}.json"));
    }
}
