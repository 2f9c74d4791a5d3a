using Kcptun.Threading;

namespace Kcptun.Diagnostics;

/// <summary>
/// The totals that SIGUSR1, <c>--snmplog</c> and a metrics read report: every session and listener owns its
/// <see cref="SnmpCounters"/> and attaches them here; <see cref="Sum"/> adds the live ones to an accumulator of those
/// already detached, so the totals stay monotonic across closed sessions, as kcp-go's process-wide DefaultSnmp is.
/// Nothing on the packet path touches this type: it costs a lock per attach, detach and read.
/// </summary>
public sealed class SnmpTotals
{
    private readonly Lock _gate = new();
    private readonly HashSet<SnmpCounters> _live = new(ReferenceEqualityComparer.Instance);
    private readonly long[] _closed = new long[SnmpCounters.DebianFieldNames.Count];
    private long _established;
    private long _maxEstablished;

    /// <summary>The totals of the programs (and of sessions made without <c>KcpSessionOptions.Totals</c> set).</summary>
    public static SnmpTotals Shared { get; } = new();

    /// <summary>Live counter sets attached, sessions and listeners.</summary>
    public int LiveCount
    {
        get
        {
            lock (_gate)
            {
                return _live.Count;
            }
        }
    }

    /// <summary>Starts adding <paramref name="counters"/> into the totals.</summary>
    public void Attach(SnmpCounters counters)
    {
        ArgumentNullException.ThrowIfNull(counters);
        lock (_gate)
        {
            _live.Add(counters);
        }
    }

    /// <summary>Folds <paramref name="counters"/> into the closed accumulator; later increments on them are not counted.</summary>
    public void Detach(SnmpCounters counters)
    {
        ArgumentNullException.ThrowIfNull(counters);
        lock (_gate)
        {
            if (_live.Remove(counters))
            {
                AddTo(_closed, counters);
            }
        }
    }

    /// <summary>
    /// Counts a session coming up for CurrEstab and MaxConn, which a sum of sessions cannot give: the process's
    /// concurrent sessions now and at most (kcp-go's newUDPSession).
    /// </summary>
    public void SessionOpened() => InterlockedMax.Raise(ref _maxEstablished, Interlocked.Increment(ref _established));

    /// <summary>Counts a session going down (CurrEstab).</summary>
    public void SessionClosed() => Interlocked.Decrement(ref _established);

    /// <summary>
    /// A new <see cref="SnmpCounters"/> holding every field summed over the live and the detached sets, except
    /// CurrEstab and MaxConn, which are the process's (<see cref="SessionOpened"/>).
    /// </summary>
    public SnmpCounters Sum()
    {
        var sum = new long[_closed.Length];
        lock (_gate)
        {
            _closed.CopyTo(sum, 0);
            foreach (var counters in _live)
            {
                AddTo(sum, counters);
            }
        }

        var result = SnmpCounters.FromSnapshot(sum);
        result.CurrEstab = Volatile.Read(ref _established);
        result.MaxConn = Volatile.Read(ref _maxEstablished);
        return result;
    }

    private static void AddTo(long[] sum, SnmpCounters counters)
    {
        long[] values = counters.Snapshot();
        for (int i = 0; i < sum.Length; i++)
        {
            sum[i] += values[i];
        }
    }
}
