namespace Kcptun.Transport;

/// <summary>
/// The millisecond clock a session feeds to KCP and FEC and the scheduler keeps due times on: milliseconds since the
/// clock was made, read from a <see cref="TimeProvider"/> (KCP peers only echo timestamps, so any monotonic clock
/// interoperates; docs/protocol/kcp.md §6.13). The programs use <see cref="System"/>; tests make one over a fake
/// <see cref="TimeProvider"/> and move time by hand.
/// </summary>
internal sealed class KcpClock
{
    private readonly long _origin;

    /// <summary>A clock that starts at 0 now, on <paramref name="time"/>'s timestamps.</summary>
    public KcpClock(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        Time = time;
        _origin = time.GetTimestamp();
    }

    /// <summary>The system clock, with one origin for the whole process (the first use of the transport).</summary>
    public static KcpClock System { get; } = new(TimeProvider.System);

    /// <summary>The time source underneath.</summary>
    public TimeProvider Time { get; }

    /// <summary>Milliseconds since the origin, 64-bit.</summary>
    public long NowMilliseconds => (long)Time.GetElapsedTime(_origin).TotalMilliseconds;

    /// <summary>The same clock as KCP's wrapping 32-bit <c>current</c>.</summary>
    public uint Now => unchecked((uint)NowMilliseconds);

    /// <summary><see cref="System"/> for the system time provider (one origin), otherwise a new clock on <paramref name="time"/>.</summary>
    public static KcpClock For(TimeProvider time) => ReferenceEquals(time, TimeProvider.System) ? System : new KcpClock(time);
}
