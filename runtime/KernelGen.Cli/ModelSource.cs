using System.Reflection;
using KernelGen.Models;
using KernelGen.Networks;

namespace KernelGen.Cli;

/// <summary>
/// Where <c>--model</c> and <c>--layers</c> point: a built-in model by name, or a user's description file whose layer
/// classes come from the user's own built assembly (loaded so its generated layers register).
/// </summary>
internal static class ModelSource
{
    public static ValidatedNetwork Load(string model, string? layersAssembly)
    {
        if (layersAssembly is not null)
        {
            if (!File.Exists(layersAssembly))
            {
                throw new FileNotFoundException($"--layers: no assembly at {layersAssembly}");
            }
            KernelGen.IO.OutputPaths.RequireRegularFile(layersAssembly, "--layers: assembly");
            Assembly assembly;
            try
            {
                assembly = Assembly.LoadFrom(Path.GetFullPath(layersAssembly));
            }
            catch (Exception e) when (e is BadImageFormatException or FileLoadException)
            {
                throw new ArgumentException($"--layers: {layersAssembly} is not a .NET assembly that can be loaded (the built .dll of your layer classes is needed): {e.Message.ReplaceLineEndings(" ")}", e);
            }
            System.Runtime.CompilerServices.RuntimeHelpers.RunModuleConstructor(assembly.ManifestModule.ModuleHandle);
        }
        if (BuiltInModels.Names.Contains(model))
        {
            return BuiltInModels.Load(model);
        }
        if (!model.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"--model: '{model}' is neither a built-in model ({string.Join(", ", BuiltInModels.Names)}) nor a .json description");
        }
        try
        {
            return NetworkValidator.Validate(NetworkJson.Load(model));
        }
        catch (Exception e) when (e is NetworkFormatException or NetworkValidationException)
        {
            throw new ArgumentException(e.Message, e);
        }
    }
}
