using Kcptun.Diagnostics;

namespace Kcptun.Transport;

/// <summary>Adds to a session's (or listener's) counter and to the process-wide one in one call.</summary>
internal static class TransportCounters
{
    public static void Add(ref long local, ref long global, long value)
    {
        Interlocked.Add(ref local, value);
        Interlocked.Add(ref global, value);
    }

    public static void Increment(ref long local, ref long global)
    {
        Interlocked.Increment(ref local);
        Interlocked.Increment(ref global);
    }

    /// <summary>Counts a session coming up: its open counter, CurrEstab and MaxConn (as kcp-go's newUDPSession).</summary>
    public static void SessionOpened(SnmpCounters local, bool active)
    {
        SnmpCounters global = SnmpCounters.Global;
        if (active)
        {
            Increment(ref local.ActiveOpens, ref global.ActiveOpens);
        }
        else
        {
            Increment(ref local.PassiveOpens, ref global.PassiveOpens);
        }

        RaiseMax(local, Interlocked.Increment(ref local.CurrEstab));
        RaiseMax(global, Interlocked.Increment(ref global.CurrEstab));
    }

    public static void SessionClosed(SnmpCounters local)
    {
        Interlocked.Decrement(ref local.CurrEstab);
        Interlocked.Decrement(ref SnmpCounters.Global.CurrEstab);
    }

    private static void RaiseMax(SnmpCounters counters, long established)
    {
        long max = Volatile.Read(ref counters.MaxConn);
        while (established > max)
        {
            long seen = Interlocked.CompareExchange(ref counters.MaxConn, established, max);
            if (seen == max)
            {
                return;
            }

            max = seen;
        }
    }
}
