namespace Kcptun.EndToEnd.Emulation;

/// <summary>Counters of one direction of the emulated link.</summary>
public sealed class LinkStatistics
{
    /// <summary>Datagrams offered to the link.</summary>
    public long Offered { get; set; }
    /// <summary>Datagrams scheduled for delivery (duplicates included).</summary>
    public long Delivered { get; set; }
    /// <summary>Dropped by random (Bernoulli) loss.</summary>
    public long RandomLoss { get; set; }
    /// <summary>Dropped by the Gilbert-Elliott chain.</summary>
    public long BurstLoss { get; set; }
    /// <summary>Tail-dropped because the queue in front of the rate cap was full.</summary>
    public long QueueDrops { get; set; }
    /// <summary>Held back so that later datagrams overtake them.</summary>
    public long Reordered { get; set; }
    /// <summary>Delivered twice.</summary>
    public long Duplicated { get; set; }
    /// <summary>Dropped because the emulator ran out of pooled buffers (should stay 0).</summary>
    public long Overflow { get; set; }
    /// <summary>Bytes offered.</summary>
    public long OfferedBytes { get; set; }
}

/// <summary>
/// The pure decision logic of one direction: given a datagram's size and the time it arrives, says whether it is
/// lost and when each copy is due at the far end. No sockets, no clock: time comes in as nanoseconds, randomness
/// from a seeded <see cref="Random"/>, so a run is reproducible from its seed.
/// </summary>
/// <remarks>
/// Order of stages: rate cap with a bounded FIFO (tail drop), then wire loss (Bernoulli, Gilbert-Elliott; a lost
/// packet has still used its slot on the link), then propagation delay with jitter clamped so that the link stays
/// FIFO, then reordering (an extra gap that does not hold back later packets) and duplication.
/// </remarks>
public sealed class LinkShaper
{
    private const long NanosPerMilli = 1_000_000;
    private readonly LinkProfile _profile;
    private readonly Random _random;
    private readonly GilbertElliott? _burst;
    private readonly long _delayNs;
    private readonly long _jitterNs;
    private readonly long _reorderGapNs;
    private readonly double _bitsPerSecond;
    private long _linkFreeAtNs;
    private long _lastDueNs = long.MinValue;

    /// <summary>Creates the shaper of one direction; the same profile and seed give the same decisions.</summary>
    public LinkShaper(LinkProfile profile, int seed)
    {
        ArgumentNullException.ThrowIfNull(profile);
        _profile = profile;
        _random = new Random(seed);
        _burst = profile.BurstLoss is { } ge ? new GilbertElliott(ge) : null;
        _delayNs = (long)(profile.DelayMs * NanosPerMilli);
        _jitterNs = (long)(profile.JitterMs * NanosPerMilli);
        _reorderGapNs = (long)(profile.ReorderGapMs * NanosPerMilli);
        _bitsPerSecond = profile.RateMbps * 1e6;
    }

    /// <summary>The counters of this direction.</summary>
    public LinkStatistics Statistics { get; } = new();

    /// <summary>Time a datagram of <paramref name="size"/> bytes occupies the capped link, in nanoseconds (0 uncapped).</summary>
    public long SerializationNs(int size) => _bitsPerSecond == 0 ? 0 : (long)(size * 8 * 1e9 / _bitsPerSecond);

    /// <summary>Bytes waiting in front of the rate cap at <paramref name="nowNs"/> (the packet on the wire included).</summary>
    public long BacklogBytes(long nowNs) =>
        _bitsPerSecond == 0 || _linkFreeAtNs <= nowNs ? 0 : (long)((_linkFreeAtNs - nowNs) * _bitsPerSecond / 8e9);

    /// <summary>
    /// Decides the fate of one datagram arriving at <paramref name="nowNs"/>; writes the due time of each copy into
    /// <paramref name="dueNs"/> (room for 2) and returns how many copies to deliver (0 = dropped).
    /// </summary>
    public int Admit(int size, long nowNs, Span<long> dueNs)
    {
        var stats = Statistics;
        stats.Offered++;
        stats.OfferedBytes += size;

        var sentNs = nowNs;
        if (_bitsPerSecond > 0)
        {
            if (BacklogBytes(nowNs) + size > _profile.QueueBytes)
            {
                stats.QueueDrops++;
                return 0;
            }

            _linkFreeAtNs = Math.Max(nowNs, _linkFreeAtNs) + SerializationNs(size);
            sentNs = _linkFreeAtNs;
        }

        if (_profile.LossPercent > 0 && _random.NextDouble() * 100 < _profile.LossPercent)
        {
            stats.RandomLoss++;
            return 0;
        }

        if (_burst is not null && _burst.NextIsLost(_random))
        {
            stats.BurstLoss++;
            return 0;
        }

        var due = sentNs + _delayNs;
        if (_jitterNs > 0)
        {
            due += (long)(((_random.NextDouble() * 2) - 1) * _jitterNs);
        }

        // Jitter alone keeps the link FIFO, as a real path mostly does; reordering is its own knob.
        due = Math.Max(due, Math.Max(_lastDueNs, nowNs));
        _lastDueNs = due;

        if (_profile.ReorderPercent > 0 && _random.NextDouble() * 100 < _profile.ReorderPercent)
        {
            stats.Reordered++;
            due += _reorderGapNs;
        }

        dueNs[0] = due;
        var copies = 1;
        if (_profile.DuplicatePercent > 0 && _random.NextDouble() * 100 < _profile.DuplicatePercent)
        {
            stats.Duplicated++;
            dueNs[1] = due;
            copies = 2;
        }

        stats.Delivered += copies;
        return copies;
    }
}
