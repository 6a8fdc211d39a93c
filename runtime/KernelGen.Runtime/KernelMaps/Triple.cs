using System.Globalization;

namespace KernelGen.KernelMaps;

/// <summary>A per-axis value in (z, y, x) order, such as kernel size (3, 1, 1) or stride (2, 1, 1).</summary>
public readonly record struct Triple(int Z, int Y, int X)
{
    /// <summary>The same value on every axis.</summary>
    public static Triple All(int value) => new(value, value, value);

    /// <summary>Z * Y * X.</summary>
    public int Product => Z * Y * X;

    /// <summary>Value along axis 0 (z), 1 (y) or 2 (x).</summary>
    public int this[int axis] => axis switch
    {
        0 => Z,
        1 => Y,
        2 => X,
        _ => throw new ArgumentOutOfRangeException(nameof(axis), axis, "axis must be 0 (z), 1 (y) or 2 (x)"),
    };

    /// <summary>True when every axis satisfies <paramref name="predicate"/>.</summary>
    public bool All(Func<int, bool> predicate) => predicate(Z) && predicate(Y) && predicate(X);

    /// <summary>
    /// Parses "3" (same on every axis) or "3,1,1" (z, y, x). Throws <see cref="FormatException"/> naming
    /// <paramref name="what"/> on anything else.
    /// </summary>
    public static Triple Parse(string text, string what)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length is not (1 or 3))
        {
            throw new FormatException($"{what} '{text}' must be one integer or three comma-separated integers (z,y,x)");
        }
        var values = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out values[i]))
            {
                throw new FormatException($"{what} '{text}': '{parts[i]}' is not an integer");
            }
        }
        return values.Length == 1 ? All(values[0]) : new Triple(values[0], values[1], values[2]);
    }

    /// <inheritdoc />
    public override string ToString() =>
        Z == Y && Y == X ? Z.ToString(CultureInfo.InvariantCulture) : $"({Z},{Y},{X})";
}
