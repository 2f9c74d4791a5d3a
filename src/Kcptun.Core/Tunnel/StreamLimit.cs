namespace Kcptun.Tunnel;

/// <summary>
/// Counts the streams one server session serves and refuses those beyond a limit (a flood of SYNs from a client that
/// holds the key must not turn into unbounded target connections). Refusals are summed for a log line at most once
/// per second. Thread-safe.
/// </summary>
internal sealed class StreamLimit(int limit)
{
    private const long LogInterval = 1000;

    private readonly Lock _gate = new();
    private int _open;
    private long _refusedSinceLog;
    private long _loggedAt = -LogInterval;

    /// <summary>Streams counted as open now.</summary>
    public int Open => Volatile.Read(ref _open);

    /// <summary>Counts one more open stream unless the limit is reached.</summary>
    public bool TryEnter()
    {
        while (true)
        {
            var open = Volatile.Read(ref _open);
            if (open >= limit)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _open, open + 1, open) == open)
            {
                return true;
            }
        }
    }

    /// <summary>One stream counted by <see cref="TryEnter"/> ended.</summary>
    public void Exit() => Interlocked.Decrement(ref _open);

    /// <summary>Notes one refusal at <paramref name="nowMilliseconds"/>; returns how many to log now (0: not yet).</summary>
    public long NoteRefused(long nowMilliseconds)
    {
        lock (_gate)
        {
            _refusedSinceLog++;
            if (nowMilliseconds - _loggedAt < LogInterval)
            {
                return 0;
            }

            _loggedAt = nowMilliseconds;
            var refused = _refusedSinceLog;
            _refusedSinceLog = 0;
            return refused;
        }
    }
}
