using Kcptun.Diagnostics;

namespace Kcptun.Transport;

/// <summary>A session's open and close on its own counters and on the totals it is attached to.</summary>
internal static class TransportCounters
{
    /// <summary>
    /// Counts a session coming up (kcp-go's newUDPSession): its open counter, its CurrEstab and MaxConn (1 while it
    /// lives), and the process's concurrent sessions on <paramref name="totals"/>, which it is attached to from now.
    /// </summary>
    public static void SessionOpened(SnmpCounters local, SnmpTotals totals, bool active)
    {
        if (active)
        {
            Interlocked.Increment(ref local.ActiveOpens);
        }
        else
        {
            Interlocked.Increment(ref local.PassiveOpens);
        }

        Volatile.Write(ref local.MaxConn, Interlocked.Increment(ref local.CurrEstab));
        totals.Attach(local);
        totals.SessionOpened();
    }

    /// <summary>Counts a session going down and folds its counters into the totals' closed accumulator.</summary>
    public static void SessionClosed(SnmpCounters local, SnmpTotals totals)
    {
        Interlocked.Decrement(ref local.CurrEstab);
        totals.SessionClosed();
        totals.Detach(local);
    }
}
