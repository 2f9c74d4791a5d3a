namespace Kcptun.Threading;

/// <summary>A lock-free high-water mark: raises a shared value to at least a new one (MaxConn, stream peaks).</summary>
internal static class InterlockedMax
{
    /// <summary>Sets <paramref name="location"/> to <paramref name="value"/> if that is larger, against concurrent raises.</summary>
    public static void Raise(ref long location, long value)
    {
        long current = Interlocked.Read(ref location);
        while (value > current)
        {
            long seen = Interlocked.CompareExchange(ref location, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
