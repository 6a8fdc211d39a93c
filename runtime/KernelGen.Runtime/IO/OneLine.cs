using System.Text;

namespace KernelGen.IO;

/// <summary>
/// Text from a file (a name, a header, a parser's message) made fit for a one-line error: control characters such as
/// line breaks, and the bidirectional formatting characters that reorder what a terminal shows (U+202E …), as
/// <c>\uXXXX</c>, and at most <c>maxLength</c> characters of it (200 unless given).
/// </summary>
internal static class OneLine
{
    public static string Of(string text, int maxLength = 200)
    {
        var builder = new StringBuilder();
        foreach (char c in text.Length > maxLength ? text[..maxLength] + "…" : text)
        {
            builder.Append(IsUnprintable(c) ? $"\\u{(int)c:x4}" : c);
        }
        return builder.ToString();
    }

    /// <summary>Whether <paramref name="c"/> is a control or bidirectional formatting character.</summary>
    public static bool IsUnprintable(char c) =>
        char.IsControl(c) || c is '\u200E' or '\u200F' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069');

    /// <summary>The first unprintable character of <paramref name="text"/>, or null.</summary>
    public static char? FirstUnprintable(string text)
    {
        foreach (char c in text)
        {
            if (IsUnprintable(c))
            {
                return c;
            }
        }
        return null;
    }
}
