namespace Kcptun.Transport;

/// <summary>
/// A byte token bucket on an injected clock (docs/protocol/kcp.md §6.14, <c>--ratelimit</c>): refills at
/// <see cref="BytesPerSecond"/> up to <see cref="Burst"/> bytes and starts full. A take larger than the burst is
/// allowed once the bucket is full and leaves it in debt, so oversized items are slowed, never stuck. Not thread-safe:
/// the owning session calls it under its lock.
/// </summary>
internal sealed class TokenBucket
{
    /// <summary>kcp-go's pacing burst: 64 full-size datagrams.</summary>
    public const int DefaultBurst = 64 * KcpSessionOptions.MaxDatagramSize;

    private readonly TimeProvider _time;
    private double _tokens;
    private long _last;

    public TokenBucket(long bytesPerSecond, int burst, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytesPerSecond);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(burst);
        ArgumentNullException.ThrowIfNull(time);
        BytesPerSecond = bytesPerSecond;
        Burst = burst;
        _time = time;
        _tokens = burst;
        _last = time.GetTimestamp();
    }

    /// <summary>Refill rate.</summary>
    public long BytesPerSecond { get; }

    /// <summary>Bucket capacity in bytes.</summary>
    public int Burst { get; }

    /// <summary>Tokens available now (negative while in debt after an oversized take).</summary>
    public double Available
    {
        get
        {
            Refill();
            return _tokens;
        }
    }

    /// <summary>Takes <paramref name="bytes"/> tokens if the bucket holds them (or is full, for oversized takes).</summary>
    public bool TryTake(int bytes)
    {
        Refill();
        if (_tokens < Math.Min(bytes, Burst))
        {
            return false;
        }

        _tokens -= bytes;
        return true;
    }

    /// <summary>How long until <see cref="TryTake"/> of <paramref name="bytes"/> can succeed (zero: now).</summary>
    public TimeSpan TimeUntil(int bytes)
    {
        Refill();
        double missing = Math.Min(bytes, Burst) - _tokens;
        return missing <= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(missing / BytesPerSecond);
    }

    private void Refill()
    {
        long now = _time.GetTimestamp();
        long ticks = now - _last;
        if (ticks <= 0)
        {
            return;
        }

        _last = now;
        _tokens = Math.Min(Burst, _tokens + (ticks * (double)BytesPerSecond / _time.TimestampFrequency));
    }
}
