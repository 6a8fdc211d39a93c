namespace KernelGen.KernelMaps;

/// <summary>How a kernel map was found (run summaries report it beside the time, so a slow map says why).</summary>
public enum KernelMapMethod
{
    /// <summary>SubM on sorted sites: one pointer per offset walks the sorted keys; lookups are key compares.</summary>
    SortedMerge,

    /// <summary>SubM on unsorted sites: a flat open-addressing table; lookups are slots probed.</summary>
    HashTable,

    /// <summary>A strided conv: every (output key, input, offset) pair radix-sorted by output; lookups are the pairs.</summary>
    RadixSort,

    /// <summary>The ILGPU builder's device hash table (lookups not counted).</summary>
    DeviceHashTable,

    /// <summary>An inverse conv's map, transposed from its forward map; lookups are the forward map's entries.</summary>
    Inverted,
}
