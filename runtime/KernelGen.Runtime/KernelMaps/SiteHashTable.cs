using System.Runtime.InteropServices;

namespace KernelGen.KernelMaps;

/// <summary>
/// Site key → row, open addressing with linear probing at load factor ≤ 0.5: the CPU twin of the ILGPU builder's
/// device table. Key and row share one 16-byte slot, so a hit costs one cache miss; a flat table probes several times
/// faster than <c>Dictionary&lt;long, int&gt;</c>. Lookups are safe from many threads once the table is built.
/// </summary>
internal sealed class SiteHashTable
{
    private const long Empty = -1;
    private readonly Slot[] _slots;
    private readonly int _mask;

    public SiteHashTable(int capacityHint)
    {
        int capacity = 16;
        while (capacity < 2L * capacityHint)
        {
            capacity *= 2;
        }
        _slots = GC.AllocateUninitializedArray<Slot>(capacity);
        _slots.AsSpan().Fill(new Slot(Empty, -1));
        _mask = capacity - 1;
    }

    /// <summary>Adds <paramref name="key"/> (≥ 0) → <paramref name="row"/>; returns the existing row instead when present.</summary>
    public bool TryAdd(long key, int row, out int existingRow)
    {
        int slot = SlotOf(key);
        while (true)
        {
            ref var entry = ref _slots[slot];
            if (entry.Key == Empty)
            {
                entry = new Slot(key, row);
                existingRow = -1;
                return true;
            }
            if (entry.Key == key)
            {
                existingRow = entry.Row;
                return false;
            }
            slot = (slot + 1) & _mask;
        }
    }

    /// <summary>Sets the row of a key already in the table.</summary>
    public void SetRow(long key, int row)
    {
        int slot = SlotOf(key);
        while (_slots[slot].Key != key)
        {
            slot = (slot + 1) & _mask;
        }
        _slots[slot].Row = row;
    }

    /// <summary>The row of <paramref name="key"/>, or -1; adds the slots it looked at to <paramref name="probes"/>.</summary>
    public int Find(long key, ref long probes)
    {
        int slot = SlotOf(key);
        while (true)
        {
            probes++;
            var entry = _slots[slot];
            if (entry.Key == key)
            {
                return entry.Row;
            }
            if (entry.Key == Empty)
            {
                return -1;
            }
            slot = (slot + 1) & _mask;
        }
    }

    // Fibonacci hashing: the high bits of key × 2^64/φ spread the linear keys of neighbouring sites across the table.
    private int SlotOf(long key) => (int)(((ulong)key * 0x9E3779B97F4A7C15UL) >> 33) & _mask;

    [StructLayout(LayoutKind.Sequential)]
    private struct Slot(long key, int row)
    {
        public long Key = key;
        public int Row = row;
    }
}
