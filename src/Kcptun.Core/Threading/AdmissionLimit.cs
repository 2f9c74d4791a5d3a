namespace Kcptun.Threading;

/// <summary>
/// Counts what is open now (the streams of one server session, the sessions of one server) and refuses anything
/// beyond a limit: a flood from a peer that holds the key must not turn into unbounded target connections or
/// session state. Refusals are summed for a log line at most once per <c>logInterval</c> milliseconds. Thread-safe.
/// </summary>
internal sealed class AdmissionLimit(int limit, long logInterval = 1000)
{
    private readonly Lock _gate = new();
    private int _open;
    private long _refusedSinceLog;
    private long _loggedAt = long.MinValue;

    /// <summary>The most that may be open at once.</summary>
    public int Limit => limit;

    /// <summary>Counted as open now.</summary>
    public int Open => Volatile.Read(ref _open);

    /// <summary>Counts one more open unless the limit is reached.</summary>
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

    /// <summary>One counted by <see cref="TryEnter"/> ended.</summary>
    public void Exit() => Interlocked.Decrement(ref _open);

    /// <summary>Notes one refusal at <paramref name="nowMilliseconds"/>; returns how many to log now (0: not yet).</summary>
    public long NoteRefused(long nowMilliseconds)
    {
        lock (_gate)
        {
            _refusedSinceLog++;
            if (_loggedAt != long.MinValue && nowMilliseconds - _loggedAt < logInterval)
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
