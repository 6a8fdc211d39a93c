using System.Text;

namespace KernelGen.IO;

/// <summary>
/// Text from a file (a name, a header, a parser's message) made fit for a one-line error: control characters such as
/// line breaks as <c>\uXXXX</c>, and at most <c>maxLength</c> characters of it (200 unless given).
/// </summary>
internal static class OneLine
{
    public static string Of(string text, int maxLength = 200)
    {
        var builder = new StringBuilder();
        foreach (char c in text.Length > maxLength ? text[..maxLength] + "…" : text)
        {
            builder.Append(char.IsControl(c) ? $"\\u{(int)c:x4}" : c);
        }
        return builder.ToString();
    }
}
