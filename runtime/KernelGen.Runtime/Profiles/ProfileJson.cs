using System.Text.Json;
using System.Text.Json.Nodes;

namespace KernelGen.Profiles;

/// <summary>
/// Reading the calibration files (profiles and shard statistics): the version and kind checked first, then every
/// field by name and JSON kind, each problem an <see cref="InvalidDataException"/> naming the file and the field.
/// </summary>
internal static class ProfileJson
{
    /// <summary>The text of <paramref name="path"/>; a file that cannot be read is an <see cref="IOException"/> saying what it was.</summary>
    public static string ReadText(string path, string what)
    {
        KernelGen.IO.OutputPaths.RequireRegularFile(path, what);
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot read {what} '{path}': {e.Message}", e);
        }
    }

    /// <summary>
    /// The file's root object, once its kind and format are this version's; an older format is refused with
    /// <paramref name="older"/>, what changed since.
    /// </summary>
    public static JsonObject Root(string text, string source, string kind, int format, string? older = null)
    {
        JsonNode? root;
        try
        {
            // A key given twice would silently take the last value.
            root = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not valid JSON ({KernelGen.IO.OneLine.Of(e.Message)})", e);
        }
        var obj = root as JsonObject ?? throw new InvalidDataException($"{source}: not a JSON object");
        string found = obj["kind"] is JsonValue k && k.TryGetValue(out string? s) ? s : "";
        if (found != kind)
        {
            throw new InvalidDataException($"{source}: not a {kind} file (kind '{KernelGen.IO.OneLine.Of(found)}')");
        }
        long version = Long(obj, "format", source);
        if (version != format)
        {
            string why = version < format && older is not null ? $" ({older})" : "";
            throw new InvalidDataException($"{source}: format {version} is not supported{why}; this KernelGen reads format {format} (recalibrate, or use the KernelGen that wrote it)");
        }
        return obj;
    }

    private static JsonNode Field(JsonObject obj, string name, string at) =>
        obj.TryGetPropertyValue(name, out var value) && value is not null ? value : throw new InvalidDataException($"{at}: '{name}' is missing");

    public static string String(JsonObject obj, string name, string at) =>
        Field(obj, name, at) is JsonValue v && v.TryGetValue(out string? s) ? s : throw new InvalidDataException($"{at}: '{name}' is not a string");

    public static string? OptionalString(JsonObject obj, string name, string at) =>
        obj[name] is null ? null : String(obj, name, at);

    public static JsonObject Object(JsonObject obj, string name, string at) =>
        Field(obj, name, at) as JsonObject ?? throw new InvalidDataException($"{at}: '{name}' is not an object");

    public static JsonArray Array(JsonObject obj, string name, string at) =>
        Field(obj, name, at) as JsonArray ?? throw new InvalidDataException($"{at}: '{name}' is not an array");

    public static long Long(JsonObject obj, string name, string at) => Long(Field(obj, name, at), $"{at}: '{name}'");

    public static long Long(JsonNode? node, string at) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out long n) ? n : throw new InvalidDataException($"{at} is not an integer");

    public static float Float(JsonObject obj, string name, string at) => Float(Field(obj, name, at), $"{at}: '{name}'");

    public static float Float(JsonNode? node, string at) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out float f) && float.IsFinite(f)
            ? f : throw new InvalidDataException($"{at} is not a finite number");

    public static double? OptionalDouble(JsonObject obj, string name, string at) =>
        obj[name] is null ? null
        : obj[name] is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out double d) && double.IsFinite(d)
            ? d : throw new InvalidDataException($"{at}: '{name}' is not a finite number");

    public static float[]? OptionalFloats(JsonObject obj, string name, string at) =>
        obj[name] is null ? null : Array(obj, name, at).Select((n, i) => Float(n, $"{at}: '{name}'[{i}]")).ToArray();
}
