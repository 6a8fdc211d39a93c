namespace KernelGen.KernelMaps;

/// <summary>
/// One kernel map built, as run summaries and reports show it: its indice key and kind, how it was found, sites in and
/// out, neighbour pairs (non-empty rulebook entries), the builder's lookups (see <see cref="KernelMapMethod"/>; null
/// where not counted), the bytes allocated while building it and the time.
/// </summary>
public sealed record KernelMapBuild(
    string Key, ConvKind Kind, KernelMapMethod Method, int SitesIn, int SitesOut, long Pairs, long? Lookups, long AllocatedBytes, double Ms)
{
    /// <summary>Lookups per input site, or null where not counted.</summary>
    public double? LookupsPerSite => Lookups is { } n && SitesIn > 0 ? (double)n / SitesIn : null;
}
