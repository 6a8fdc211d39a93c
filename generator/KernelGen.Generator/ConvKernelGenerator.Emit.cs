using System;
using System.Globalization;
using KernelGen.Generator.Diagnostics;
using KernelGen.Generator.Models;
using Microsoft.CodeAnalysis;
using Scriban;
using Scriban.Runtime;

namespace KernelGen.Generator;

/// <summary>Rendering the Scriban templates (templates/*.sbncs, embedded) into source files.</summary>
public sealed partial class ConvKernelGenerator
{
    private static readonly Lazy<Template> LayerTemplate = new(() => LoadTemplate("layer.sbncs"));
    private static readonly Lazy<Template> ImplicitGemmTemplate = new(() => LoadTemplate("implicit_gemm.sbncs"));
    private static readonly Lazy<Template> TensorCoreTemplate = new(() => LoadTemplate("tensor_core.sbncs"));
    // The CPU templates, one per precision (cpu_{precision}.sbncs), parsed on first use.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Template> CpuTemplates = new();

    /// <summary>This generator's assembly version, stamped into every layer (it is part of the tuning key).</summary>
    // The informational version (e.g. 0.1.0+<commit>): a rebuilt prerelease generator is another generator to the tuning
    // cache, so a rebuilt package never reuses another build's tuning entries.
    internal static readonly string GeneratorVersion =
        (System.Attribute.GetCustomAttribute(typeof(ConvKernelGenerator).Assembly, typeof(System.Reflection.AssemblyInformationalVersionAttribute))
            as System.Reflection.AssemblyInformationalVersionAttribute)?.InformationalVersion
        ?? typeof(ConvKernelGenerator).Assembly.GetName().Version?.ToString() ?? "unknown";

    private static void Emit(SourceProductionContext output, LayerModel model)
    {
        try
        {
            foreach (var (hintName, source) in Render(model))
            {
                output.CancellationToken.ThrowIfCancellationRequested();
                output.AddSource(hintName, source);
            }
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception e)
        {
            // The generator never throws: a template failure is a bug, reported where the user can see it.
            output.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InternalError, null, model.FullName, e.GetType().Name + ": " + e.Message));
        }
    }

    /// <summary>Every generated file of <paramref name="model"/>: (hint name, source).</summary>
    internal static System.Collections.Generic.IEnumerable<(string HintName, string Source)> Render(LayerModel model)
    {
        yield return ($"{model.HintPrefix}.Layer.g.cs", Render(LayerTemplate.Value, model, null));
        foreach (var variant in model.Variants)
        {
            yield return ($"{model.HintPrefix}.{variant.Name}.g.cs", Render(ImplicitGemmTemplate.Value, model, variant));
        }
        foreach (var variant in model.TensorCoreVariants)
        {
            yield return ($"{model.HintPrefix}.{variant.Name}.g.cs", Render(TensorCoreTemplate.Value, model, variant));
        }
        foreach (var variant in model.CpuVariants)
        {
            var template = CpuTemplates.GetOrAdd(variant.Template, LoadTemplate);
            yield return ($"{model.HintPrefix}.{variant.Name}.g.cs", Render(template, model, variant));
        }
    }

    private static string Render(Template template, LayerModel model, object? variant)
    {
        var globals = new ScriptObject
        {
            ["layer"] = model,
            ["variant"] = variant,
            ["alpha"] = model.Quant.Alpha.ToString("R", CultureInfo.InvariantCulture),
            ["generator_version"] = GeneratorVersion,
            // The using aliases a template captures for its file header (templates/shared/file_header); none by default.
            ["file_usings"] = "",
        };
        var context = new TemplateContext
        {
            StrictVariables = true,
            // A member the model does not have (a misspelt `v.some_flag`) is an error, not a silent null that picks
            // another template branch.
            EnableRelaxedMemberAccess = false,
            LoopLimit = 0,
            MemberRenamer = member => SnakeCase(member.Name),
            TemplateLoader = EmbeddedTemplateLoader.Instance,
        };
        context.PushGlobal(globals);
        return template.Render(context).Replace("\r\n", "\n");
    }

    /// <summary>
    /// Template member names: snake_case split only where a lower-case letter meets an upper-case one, so
    /// <c>W8A8</c> stays <c>w8a8</c> (Scriban's default renamer would write <c>w8_a8</c>).
    /// </summary>
    internal static string SnakeCase(string name)
    {
        var builder = new System.Text.StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            if (i > 0 && char.IsUpper(name[i]) && char.IsLower(name[i - 1]))
            {
                builder.Append('_');
            }
            builder.Append(char.ToLowerInvariant(name[i]));
        }
        return builder.ToString();
    }

    private static Template LoadTemplate(string name)
    {
        var template = Template.Parse(EmbeddedTemplateLoader.Read(name), name);
        if (template.HasErrors)
        {
            throw new InvalidOperationException($"template {name}: {string.Join("; ", template.Messages)}");
        }
        return template;
    }
}
