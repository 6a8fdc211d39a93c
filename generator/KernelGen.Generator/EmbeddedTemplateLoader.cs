using System;
using System.IO;
using System.Threading.Tasks;
using Scriban;
using Scriban.Parsing;
using Scriban.Runtime;

namespace KernelGen.Generator;

/// <summary>
/// Resolves <c>{{ include 'shared/epilogue' }}</c> to the embedded <c>templates/shared/epilogue.sbncs</c>: the pieces
/// every kernel family shares (file header and footer, the epilogue) live in one file each and are included, not copied.
/// </summary>
internal sealed class EmbeddedTemplateLoader : ITemplateLoader
{
    internal static readonly EmbeddedTemplateLoader Instance = new();

    public string GetPath(TemplateContext context, SourceSpan callerSpan, string templateName) => templateName.Replace('/', '.') + ".sbncs";

    public string Load(TemplateContext context, SourceSpan callerSpan, string templatePath) => Read(templatePath);

    public ValueTask<string?> LoadAsync(TemplateContext context, SourceSpan callerSpan, string templatePath) => new(Read(templatePath));

    /// <summary>The text of embedded template <paramref name="fileName"/> (e.g. <c>layer.sbncs</c>, <c>shared.epilogue.sbncs</c>).</summary>
    internal static string Read(string fileName)
    {
        using var stream = typeof(EmbeddedTemplateLoader).Assembly.GetManifestResourceStream("KernelGen.Generator.Templates." + fileName)
            ?? throw new InvalidOperationException($"template {fileName} is not embedded in the generator");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
