namespace Kcptun.Tunnel;

/// <summary>
/// Gives memory back to the system after a burst of streams ended (issue 16: after 2,000 concurrent streams the heap
/// stayed at its peak; with no allocation afterwards no GC ran to return it). Process-wide: the programs note every
/// stream opened (the server: streams plus sessions, so the end of a session flood counts too) and call
/// <see cref="Check"/> about once a second; when at least <see cref="BurstSize"/> were open at once since the last
/// trim and three quarters of them have closed, one blocking, compacting, aggressive collection decommits the free
/// heap (tens of ms, once per burst).
/// </summary>
internal static class MemoryTrim
{
    /// <summary>The least drop in open streams that is worth a full collection.</summary>
    public const int BurstSize = 256;

    private static long s_highWater;
    private static long s_trims;

    /// <summary>Aggressive collections done so far.</summary>
    public static long Trims => Interlocked.Read(ref s_trims);

    /// <summary>Notes that <paramref name="open"/> streams are open now (after an open).</summary>
    public static void NoteOpen(long open) => Kcptun.Threading.InterlockedMax.Raise(ref s_highWater, open);

    /// <summary>Trims once a burst has ended: true when it collected.</summary>
    public static bool Check(long open)
    {
        var high = Interlocked.Read(ref s_highWater);
        if (!ShouldTrim(high, open) || Interlocked.CompareExchange(ref s_highWater, open, high) != high)
        {
            return false;
        }

        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        Interlocked.Increment(ref s_trims);
        return true;
    }

    /// <summary>The rule: a burst of at least <see cref="BurstSize"/> streams of which three quarters have closed.</summary>
    public static bool ShouldTrim(long highWater, long open) => highWater - open >= BurstSize && open * 4 <= highWater;
}
