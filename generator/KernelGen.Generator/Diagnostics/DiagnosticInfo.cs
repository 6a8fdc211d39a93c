using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using KernelGen.Generator.Models;

namespace KernelGen.Generator.Diagnostics;

/// <summary>A diagnostic as value-equal data (descriptor id, where, message arguments), turned into a Roslyn diagnostic only when reported.</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, Location? location, params object[] arguments) =>
        new(descriptor.Id, LocationInfo.From(location), new EquatableArray<string>(System.Linq.Enumerable.Select(arguments, a => a?.ToString() ?? "")));

    public Diagnostic ToDiagnostic() =>
        Diagnostic.Create(DiagnosticDescriptors.ById(Id), Location?.ToLocation(), System.Linq.Enumerable.ToArray<object>(Arguments));
}

/// <summary>A source location without the syntax tree it came from.</summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    public static LocationInfo? From(Location? location) =>
        location?.SourceTree is null ? null : new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);

    public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);
}
