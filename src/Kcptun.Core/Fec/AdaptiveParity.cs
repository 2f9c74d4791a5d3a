namespace Kcptun.Fec;

/// <summary>
/// How many of the configured P parity shards a sender emits per FEC group under <c>--cc bbr</c>
/// (docs/fec-adaptive.md). Pure and deterministic: fed cumulative counts of data segments sent and of segments that
/// had to be retransmitted (spurious resends taken out), it estimates the path's raw loss and picks the least
/// parity that keeps the loss left for ARQ at most <see cref="TargetResidualLoss"/>.
/// </summary>
/// <remarks>
/// <para>What the sender sees is the loss FEC did not repair: a segment FEC rebuilt is acknowledged like any other.
/// With parity p in groups of D data shards, a data packet is left to ARQ when it is lost and at least p of the other
/// D + p - 1 packets of its group are lost too, so the residual is r(q, p) = q · P[Bin(D + p - 1, q) &gt;= p] for a raw
/// loss q. The controller inverts r for the parity that was in force during the window (bisection: r grows with q),
/// smooths the estimate (a higher one is taken at once, a lower one halves the gap), and moves parity: straight up to the least p with r(q, p) &lt;= target when the current one
/// leaves more, and one step down when one parity less would leave at most half the target (hysteresis).</para>
/// <para>Why a target residual rather than "repair everything": under bbr random loss does not shrink the rate, so
/// a retransmission costs one packet once while parity costs P/D of every group; FEC buys latency (no RTO or
/// duplicate-ACK wait) and protects against heavy loss, where resends are lost again. Up to about 5% raw loss no
/// parity is sent; at 10% two shards leave 3%; from about 15% all of them; the configured P is the ceiling. While the
/// KCP windows bind, every hole holds the window, and the target is far lower.</para>
/// </remarks>
public sealed class AdaptiveParity
{
    /// <summary>
    /// The loss per data packet left to ARQ that the chosen parity aims to stay under (10%, as the sender counts it:
    /// resends that a lost ACK datagram caused count too, so 1% loss each way measures about 2%). Under bbr random loss
    /// does not shrink the rate and the windows above KCP follow the path (the smux stream window included,
    /// docs/receive-window.md), so a loss ARQ repairs costs one resent packet and a hold of about a round trip that the
    /// windows cover, where parity costs P/D of every group. Measured on 100 ms / 100 Mbit/s, both ends ours, medians
    /// of 2 (docs/fec-adaptive.md): at 1% loss 78.0 / 84.6 Mbit/s up / down and wire ratio 1.13-1.29 against 74.1 /
    /// 74.2 and 1.32-1.39 with the former 0.2% target; at 5% 74.4 / 72.8 and 1.26-1.28 against 73.5 / 73.0 and
    /// 1.41-1.43. (The 0.2% target dated from 2 MiB stream windows, when every hole cost throughput.) Heavy loss still
    /// gets parity: 2 shards at 10%, 3 from about 15%.
    /// </summary>
    public const double TargetResidualLoss = 0.10;

    /// <summary>
    /// The residual target while the sender's KCP windows bind (snd_wnd or the peer's rcv_wnd, typically a Go peer
    /// at its default 512-1024 segments): then each loss left to ARQ holds snd_una, and so the whole window, for a round
    /// trip, and the path has room for the parity (measured when the other target was 0.2%). Measured against Debian's Go 20210922 at its defaults on 100 ms /
    /// 100 Mbit/s / 1% loss (Mbit/s up / down, medians of 3): fixed 10/3 69.3 / 37.5 (wire ratio 1.40-1.42), the 0.2%
    /// target alone 57.7 / 32.8 (1.23-1.25), with this one 61.2 / 35.4 (1.28-1.34). This takes all 3 parity shards of
    /// 10/3 from 1% loss on while the windows bind and keeps 0 on a clean path (1 where the residual is as low as
    /// 0.01%). Fixed 10/3 still gains more against Go: not every decision window sees the windows bind.
    /// </summary>
    public const double WindowLimitedTargetResidualLoss = 0.00002;

    /// <summary>
    /// Decision windows after the last one in which the KCP windows bound that the strict target still applies. A
    /// window-bound sender is not held back in every window of 1024 segments (the pacer or the rate controller's cap
    /// binds in between), and a step down there opened holes that a Go receiver's window then paid for (a burst of
    /// timeouts and a halved reach); a few windows of extra parity cost far less.
    /// </summary>
    public const int WindowLimitedHoldWindows = 8;

    /// <summary>Data segments sent (retransmissions included) between two decisions.</summary>
    public const int WindowSegments = 1024;

    /// <summary>
    /// Parity only drops when one less would leave at most this share of the target (hysteresis against flapping
    /// on estimate noise).
    /// </summary>
    public const double StepDownShare = 0.5;

    /// <summary>Weight of the newest window in the smoothed loss estimate.</summary>
    private const double SmoothingWeight = 0.5;

    private long _sentMark;
    private long _lostMark;
    private long _windowLimitedMark;
    private int _windowsSinceBound = WindowLimitedHoldWindows + 1;   // decision windows since the windows last bound, capped
    private bool _hasEstimate;
    private long _quietSegments;        // sent at the current parity since the last needed retransmission

    /// <summary>Creates a controller for groups of <paramref name="dataShards"/> with at most <paramref name="maxParityShards"/> parity shards.</summary>
    /// <param name="dataShards">D (1..255).</param>
    /// <param name="maxParityShards">The configured P (1..255): the ceiling, and the parity a new session starts with.</param>
    /// <param name="initialParityShards">Parity before the first measurement; null: <paramref name="maxParityShards"/>
    /// (as Go sends, and clean D/P pulses for a receiver that has to auto-tune).</param>
    public AdaptiveParity(int dataShards, int maxParityShards, int? initialParityShards = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dataShards, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxParityShards, 1);
        int initial = initialParityShards ?? maxParityShards;
        ArgumentOutOfRangeException.ThrowIfNegative(initial, nameof(initialParityShards));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(initial, maxParityShards, nameof(initialParityShards));
        DataShards = dataShards;
        MaxParityShards = maxParityShards;
        ParityShards = initial;
        MinParitySeen = initial;
        MaxParitySeen = initial;
    }

    /// <summary>D.</summary>
    public int DataShards { get; }

    /// <summary>The configured P: the most parity ever emitted.</summary>
    public int MaxParityShards { get; }

    /// <summary>Parity shards to emit per group now (0..<see cref="MaxParityShards"/>).</summary>
    public int ParityShards { get; private set; }

    /// <summary>The smoothed estimate of the raw loss rate of the path (0 until the first window closed).</summary>
    public double EstimatedLoss { get; private set; }

    /// <summary>
    /// Whether the KCP windows held the sender back during the last decision window or one of the
    /// <see cref="WindowLimitedHoldWindows"/> before it.
    /// </summary>
    public bool WindowLimited => _windowsSinceBound <= WindowLimitedHoldWindows;

    /// <summary>
    /// Asked at each decision: whether a loss left to ARQ would delay someone waiting (the tunnel: data of more than one
    /// smux stream in flight, <see cref="Kcptun.Smux.SmuxSession.StreamsInterleaved"/>). True aims at
    /// <see cref="WindowLimitedTargetResidualLoss"/>, as when the windows bind. Null: never.
    /// </summary>
    public Func<bool>? LatencySensitive { get; set; }

    /// <summary>Whether the last decision found <see cref="LatencySensitive"/> true.</summary>
    public bool Latency { get; private set; }

    /// <summary>How many times <see cref="ParityShards"/> changed (diagnostics and tests).</summary>
    public int Changes { get; private set; }

    /// <summary>The lowest parity used so far.</summary>
    public int MinParitySeen { get; private set; }

    /// <summary>The highest parity used so far.</summary>
    public int MaxParitySeen { get; private set; }

    /// <summary>
    /// Takes the sender's cumulative counts: data segments transmitted (first sends and retransmissions),
    /// retransmissions that were needed (not spurious), and flushes its KCP windows held back
    /// (<see cref="Kcp.KcpControlBlock.WindowLimitedFlushes"/>). Every <see cref="WindowSegments"/> sent it re-estimates
    /// the loss and may change <see cref="ParityShards"/>, aiming at <see cref="WindowLimitedTargetResidualLoss"/>
    /// when the last count grew during the window and at <see cref="TargetResidualLoss"/> otherwise; returns true
    /// when it changed.
    /// </summary>
    public bool Observe(long segmentsSent, long segmentsRetransmitted, long windowLimitedFlushes)
    {
        long sent = segmentsSent - _sentMark;
        if (sent < WindowSegments)
        {
            if (!Latency && _hasEstimate && LatencySensitive?.Invoke() == true)
            {
                // A second stream started: its frames wait behind every hole left to ARQ from now on, so the strict
                // target applies from the next group, on the estimate so far, not a window later (up to a second
                // of holes a round trip long at 1% loss and no parity).
                Latency = true;
                return Decide();
            }

            return false;
        }

        long lost = Math.Clamp(segmentsRetransmitted - _lostMark, 0, sent);
        _windowsSinceBound = windowLimitedFlushes > _windowLimitedMark ? 0 : Math.Min(_windowsSinceBound + 1, WindowLimitedHoldWindows + 1);
        Latency = LatencySensitive?.Invoke() == true;
        _sentMark = segmentsSent;
        _lostMark = segmentsRetransmitted;
        _windowLimitedMark = windowLimitedFlushes;
        _quietSegments = lost > 0 ? 0 : _quietSegments + sent;
        double loss = EstimateLoss((double)lost / sent, DataShards, ParityShards);
        // Fast up, slow down: loss that appears is repaired from the next group on; a quiet window only halves
        // the estimate, so one lucky window does not strip the parity a lossy path needs.
        EstimatedLoss = _hasEstimate && loss < EstimatedLoss
            ? (SmoothingWeight * loss) + ((1 - SmoothingWeight) * EstimatedLoss)
            : loss;
        _hasEstimate = true;
        return Decide();
    }

    private bool Decide()
    {
        int parity = ParityShards;
        double target = WindowLimited || Latency ? WindowLimitedTargetResidualLoss : TargetResidualLoss;
        if (ResidualLoss(EstimatedLoss, DataShards, parity) > target)
        {
            while (parity < MaxParityShards && ResidualLoss(EstimatedLoss, DataShards, parity) > target)
            {
                parity++;
            }
        }
        else if (parity > 0 && ResidualLoss(EstimatedLoss, DataShards, parity - 1) <= target * StepDownShare
            && (_quietSegments == 0 || _quietSegments * target * StepDownShare >= 1))
        {
            // On a window that saw needed resends the estimate is measured. On quiet windows only once the quiet stretch
            // is long enough to have shown one at the step-down level: a window of 1024 segments without any says
            // nothing about a residual of 0.002%, and stepping down on it let the strict target (windows bound, or
            // streams waiting) slide from 3 shards to 1 at 1% loss and back, about 2 on average (our server to a Go
            // 20260314 client: 43 Mbit/s against 45.6 with 10/3 fixed). That holds from the start too: full parity
            // repairs everything, so the first windows are quiet whatever the loss, and stepping down on them opened
            // holes just as the rate peaked while a Go receiver's window bound (docs/fec-adaptive.md). Under the 10%
            // target that is 20 segments, which every window has.
            parity--;
        }

        if (parity == ParityShards)
        {
            return false;
        }

        ParityShards = parity;
        _quietSegments = 0;
        Changes++;
        MinParitySeen = Math.Min(MinParitySeen, parity);
        MaxParitySeen = Math.Max(MaxParitySeen, parity);
        return true;
    }

    /// <summary>
    /// The probability that a data packet is lost and its group cannot rebuild it: q · P[Bin(D + p - 1, q) &gt;= p]
    /// (independent losses at rate <paramref name="loss"/>, groups of <paramref name="dataShards"/> data and
    /// <paramref name="parityShards"/> parity packets; Reed-Solomon rebuilds any D of D + p).
    /// </summary>
    public static double ResidualLoss(double loss, int dataShards, int parityShards)
    {
        if (loss <= 0)
        {
            return 0;
        }

        if (loss >= 1)
        {
            return 1;
        }

        // P[Bin(n, q) >= p] = 1 - sum_{k < p} C(n, k) q^k (1 - q)^(n - k), with the terms built one from the last.
        int others = dataShards + parityShards - 1;
        double term = Math.Pow(1 - loss, others);
        double below = 0;
        for (int k = 0; k < parityShards; k++)
        {
            below += term;
            term *= (double)(others - k) / (k + 1) * loss / (1 - loss);
        }

        return loss * Math.Clamp(1 - below, 0, 1);
    }

    /// <summary>
    /// The raw loss rate that leaves <paramref name="residual"/> to ARQ with the given geometry (the inverse of
    /// <see cref="ResidualLoss"/>, by bisection on [0, 0.5]).
    /// </summary>
    public static double EstimateLoss(double residual, int dataShards, int parityShards)
    {
        if (residual <= 0)
        {
            return 0;
        }

        double low = 0, high = 0.5;
        if (ResidualLoss(high, dataShards, parityShards) <= residual)
        {
            return high;
        }

        for (int i = 0; i < 40; i++)
        {
            double middle = (low + high) / 2;
            if (ResidualLoss(middle, dataShards, parityShards) < residual)
            {
                low = middle;
            }
            else
            {
                high = middle;
            }
        }

        return (low + high) / 2;
    }
}
