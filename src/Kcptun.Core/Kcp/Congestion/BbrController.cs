namespace Kcptun.Kcp.Congestion;

/// <summary>
/// A BBR-style rate controller for one KCP sender (issue 11), modelled on BBR v1 (Cardwell et al., "BBR:
/// Congestion-Based Congestion Control", and Linux's tcp_bbr.c) with one BBR v2 idea for loss bursts. Pure and
/// deterministic: it sees only the KCP millisecond clock and the events the control block reports.
/// <list type="bullet">
/// <item>Model: the bottleneck bandwidth is the maximum delivery-rate sample over the last 10 round trips (brought
/// down towards the round's median sample when a queue stood through a round while cruising); the propagation RTT is
/// the minimum RTT sample over the last 10 s. Their product is the BDP.</item>
/// <item>Control: pacing rate = gain x bandwidth; bytes in flight at most 2 x BDP plus what the peer's ACK
/// batching needs (measured, as Linux's extra_acked), at least 4 segments.</item>
/// <item>Phases: <see cref="BbrPhase.Startup"/> (gain 2/ln 2) until the bandwidth grows less than 25% in three
/// rounds or a queue persists through a round, <see cref="BbrPhase.Drain"/>, <see cref="BbrPhase.ProbeBandwidth"/>
/// (gains 1.25, 0.75, 1 x 6, one minimum RTT each), and <see cref="BbrPhase.ProbeRtt"/> (half the BDP, as BBR v2, for 200 ms and one round) when
/// the minimum RTT was not renewed for 10 s.</item>
/// <item>Loss: isolated and random loss does not change the model (a lost segment is simply not a delivery), so
/// up to ~15% random loss leaves the rate at the link rate. A round trip in which more than
/// <see cref="HeavyLossRate"/> of the transmissions were retransmissions (and at least
/// <see cref="HeavyLossMinimumSegments"/> of them) is taken as overload: in flight gets an upper bound of 0.7 x
/// what it was (BBR v2's inflight_hi), which grows back by a quarter per round trip without heavy loss and is
/// dropped once it no longer binds. 40% is well above the random loss the controller must ride out (15%), and above the
/// loss rate a competing flow or a shallow queue causes at a fair share. (Lost ACKs make KCP resend segments that did arrive, so 15% loss each way measures as 20-25% here: the bound sits above that.)</item>
/// </list>
/// Bytes are KCP bytes (segment header + payload); the outer FEC and crypto overhead scales with them.
/// </summary>
public sealed class BbrController
{
    /// <summary>Retransmissions per transmission in one round trip above which the round counts as a loss burst.</summary>
    public const double HeavyLossRate = 0.4;

    /// <summary>Fewest retransmissions in one round trip for <see cref="HeavyLossRate"/> to apply (sampling noise).</summary>
    public const int HeavyLossMinimumSegments = 5;

    /// <summary>Smallest in-flight cap, in segments (BBR's cwnd_min_target).</summary>
    public const int MinimumWindowSegments = 4;

    private const double StartupGain = 2.885;       // 2 / ln 2: doubles the delivery rate each round trip
    private const double DrainGain = 1 / 2.885;
    private const double CwndGain = 2;
    private const double PacingMargin = 0.99;       // pace 1% below the estimate, as Linux, so queues drain
    private const int InitialWindowSegments = 10;
    private const uint InitialRtt = 100;            // ms assumed before the first RTT sample
    private const long BandwidthWindowRounds = 10;
    private const uint MinRttWindow = 10_000;       // ms
    private const uint ProbeRttDuration = 200;      // ms
    // BBR v2's probe_rtt_cwnd_gain: half the BDP in flight empties the bottleneck queue as well as BBR v1's 4 segments
    // did, but the flow keeps half its rate instead of stalling for 200 ms and a round trip, which put every other
    // stream's data of the session behind it (latency under load, issue 11: a 100-200 ms outlier every 10 s).
    private const double ProbeRttWindowGain = 0.5;
    private const double FullBandwidthGrowth = 1.25;
    private const int FullBandwidthRounds = 3;
    private const double LossBackoff = 0.7;
    private const int AggregationWindowRounds = 5;
    private const uint AggregationCapMs = 100;      // extra_acked never exceeds 100 ms of bandwidth
    private const uint DrainLimitRtts = 4;         // most min RTTs a 0.75 phase drains a standing queue
    private const int RoundSampleCapacity = 64;     // rate samples of one round kept for its median
    private const int MinimumTrimSamples = 4;       // fewest samples of a round whose median may lower the estimate
    private const double TrimStep = 0.95;           // the most one round's median lowers the estimate

    private static ReadOnlySpan<double> CycleGains => [1.25, 0.75, 1, 1, 1, 1, 1, 1];

    private const int ProbeCycleIndex = 0; // the 1.25 phase of CycleGains
    private const int DrainCycleIndex = 1; // the 0.75 phase of CycleGains; those after it cruise at 1

    private readonly int _segmentSize;
    private readonly uint _cycleSeed;

    // Delivery-rate estimation (draft-cheng-iccrg-delivery-rate-estimation).
    private long _delivered;
    private uint _deliveredTime;
    private double _deliveredWire;      // _delivered, each segment weighted by the wire factor it was sent at
    private double _deliveredWireBefore; // _deliveredWire before the first delivery at _deliveredTime's ms
    private uint _deliveredBeforeTime;  // the ms of the last delivery before that (or of the last idle restart)
    private uint _firstSentTime;
    private long _sent;                 // bytes transmitted, retransmissions included
    private long _appLimitedUntil;      // app-limited while _delivered is below this (0: not app-limited)
    private long _windowLimitedUntil;   // held back by snd_wnd/rmt_wnd while _delivered is below this (0: not)
    private bool _sampleTaken;          // a segment was delivered since the last OnAckProcessed
    private long _samplePriorDelivered;
    private uint _samplePriorTime;
    private uint _sampleSendElapsed;
    private bool _probeRttInRound;      // the current round trip ran (partly) in ProbeRtt
    private bool _sampleAppLimited;
    private double _sampleIntervalDeliveredWire;
    private long _sampleAcked;
    private uint _sampleMinRtt = uint.MaxValue;

    // The model.
    private WindowedMaxFilter _bandwidth;   // bytes per ms, keyed by round count
    private readonly double[] _roundSamples = new double[RoundSampleCapacity];
    private int _roundSampleCount;          // rate samples of the current round trip (the last RoundSampleCapacity kept)
    private uint _minRtt = uint.MaxValue;
    private uint _minRttStamp;
    private long _roundCount;
    private long _nextRoundDelivered;

    // Phases.
    private int _cycleIndex;
    private uint _cycleStamp;
    private double _fullBandwidth;
    private int _fullBandwidthCount;
    private uint _probeRttDone;
    private bool _probeRttRoundDone;
    private long _priorWindow;
    private double _probeBase;          // the bandwidth estimate when the last gain-1.25 phase began (0: none yet)

    // Loss bursts (inflight_hi).
    private long _roundTransmissions;
    private long _roundRetransmissions;
    private long _roundDeliveries;      // segments acknowledged in the current round trip

    // ACK aggregation (extra_acked).
    private uint _ackEpochStart;
    private long _ackEpochAcked;
    private readonly long[] _extraAcked = new long[2];
    private int _extraAckedSlot;
    private long _extraAckedRounds;

    /// <summary>Creates a controller in <see cref="BbrPhase.Startup"/>.</summary>
    /// <param name="segmentSize">Bytes of one full segment (mss + 24).</param>
    /// <param name="seed">Picks the first gain-cycle phase (BBR randomises it so flows do not probe in step).</param>
    public BbrController(int segmentSize, uint seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(segmentSize);
        _segmentSize = segmentSize;
        _cycleSeed = seed;
        CongestionWindow = InitialWindowSegments * (long)segmentSize;
        InflightHigh = long.MaxValue;
        PacingGain = StartupGain;
    }

    /// <summary>The current phase.</summary>
    public BbrPhase Phase { get; private set; }

    /// <summary>
    /// Bytes the path carries per KCP byte beyond what scales with them anyway (1 until told; the session's adaptive FEC
    /// sets (D + p) / D, see <see cref="SetWireFactor"/>).
    /// </summary>
    public double WireFactor { get; private set; } = 1;

    /// <summary>Bottleneck bandwidth estimate in bytes per millisecond (0 before the first sample).</summary>
    public double BottleneckBandwidth => _bandwidth.Value;

    /// <summary>Minimum RTT estimate in ms (<see cref="uint.MaxValue"/> before the first sample).</summary>
    public uint MinRtt => _minRtt;

    /// <summary>Round trips counted so far (a round ends when a segment sent after the previous end is acknowledged).</summary>
    public long RoundCount => _roundCount;

    /// <summary>Most bytes that may be in flight.</summary>
    public long CongestionWindow { get; private set; }

    /// <summary>Upper bound on in flight after loss bursts (<see cref="long.MaxValue"/>: none).</summary>
    public long InflightHigh { get; private set; }

    /// <summary>The gain applied to the bandwidth estimate for pacing.</summary>
    public double PacingGain { get; private set; }

    /// <summary>How often a bandwidth probe found the pipe not full and sent the controller back to startup.</summary>
    public long StartupRestarts { get; private set; }

    /// <summary>What ended the last startup (<see cref="StartupExit.None"/> while the first one runs).</summary>
    public StartupExit StartupExit { get; private set; }

    private void EndStartup(StartupExit reason)
    {
        if (!FilledPipe)
        {
            StartupExit = reason;
        }

        FilledPipe = true;
    }

    /// <summary>True once startup found the bottleneck full.</summary>
    public bool FilledPipe { get; private set; }

    /// <summary>Bytes transmitted so far, retransmissions included.</summary>
    public long Sent => _sent;

    /// <summary>Bytes delivered (acknowledged) so far.</summary>
    public long Delivered => _delivered;

    /// <summary>
    /// Retransmissions per transmission, smoothed over round trips (1/8 per round). The bandwidth estimate counts
    /// delivered bytes only, so where random loss strikes after the bottleneck it is (1 − loss) x the link rate and
    /// pacing at it would leave that share of the link idle; the pacing rate is divided by (1 − loss rate), at most
    /// by <see cref="MaximumLossCompensation"/>. Where loss strikes before the bottleneck this exactly fills the
    /// link, and congestive loss gains nothing from it: the in-flight cap still holds.
    /// </summary>
    public double LossRate { get; private set; }

    /// <summary>
    /// True when even the shortest RTT of the last round trip was an eighth (at least 5 ms) above the minimum: a
    /// queue persists, so the estimate is trimmed to the round's median, a drain phase runs on, and the loss
    /// compensation of <see cref="PacingRate"/> is off and learns nothing from that round (losses while a queue stands
    /// are the queue's, not the path's: counted, they raised the compensation after a startup overshoot to 7-16% at 1%
    /// random loss, and pacing that far above the link kept the queue full for a second). Startup ends on a quarter
    /// (<see cref="StartupQueueDivisor"/>). A quarter here too until 2026-12-03: the estimate came down to the link only
    /// once a queue of a quarter RTT stood, so about that much stood all along, and every request beside a download
    /// waited in it (pathbench, 100 ms / 100 Mbit/s / 1%: rr p50 124-133 ms with a quarter, 123 with an eighth;
    /// docs/benchmarks/latency-under-load.md).
    /// </summary>
    private bool _queueBuilding;
    private uint _roundMinRtt = uint.MaxValue;

    /// <summary>A round's shortest RTT this fraction of the minimum (1 / n) above it means a standing queue.</summary>
    private const uint StandingQueueDivisor = 8;

    /// <summary>
    /// The standing-queue fraction while <see cref="LatencySensitive"/>: a sixteenth (6 ms at 100 ms), so the
    /// estimate comes down to the median of a queued round before a reply beside the bulk waits in an eighth.
    /// </summary>
    private const uint LatencyStandingQueueDivisor = 16;

    /// <summary>
    /// The probing gain while <see cref="LatencySensitive"/>: 1.25 for a min RTT queues a quarter RTT at the
    /// bottleneck every cycle, and the replies that cross it then wait that much; 1.1 queues a tenth. The price:
    /// a faster path is found 10% per cycle instead of 25%, and a probe no longer restarts startup.
    /// </summary>
    public const double LatencyProbeGain = 1.1;

    /// <summary>
    /// The cruising gain while <see cref="LatencySensitive"/> (the six phases of the cycle at 1 otherwise): 3% below
    /// the estimate, so what a probe or the estimate's noise queued drains between probes instead of standing until
    /// the next 0.75 phase, as BBR v2 leaves headroom while it cruises. At 1 a queue up to a sixteenth of the minimum
    /// RTT stood unseen by the standing-queue test, and every reply beside the bulk waited in it (pathbench, rr beside
    /// a download on 100 ms / 100 Mbit/s / 1% loss, 2 runs per build alternated: p99 minus the minimum RTT 24.9
    /// median of 8 runs at 0.97 against 29.8 of 12 at 1, p90 120 against 122 ms, the bulk beside it 2% slower; 0.95
    /// lowered the p50 by 1 ms more and the bulk by 3%, with no better p99 in 4 runs).
    /// </summary>
    public const double LatencyCruiseGain = 0.97;

    /// <summary>
    /// Whether someone waits behind the flow (the session sets it while more than one smux stream's data goes out in
    /// turn, <see cref="Kcptun.Smux.SmuxSession.StreamsInterleaved"/>): then a standing queue is a sixteenth of the
    /// minimum RTT instead of an eighth (once startup is over), probing uses <see cref="LatencyProbeGain"/>, cruising
    /// <see cref="LatencyCruiseGain"/>, and an
    /// RTT within a sixteenth of the minimum keeps the minimum current, so ProbeRtt's pause comes only when a queue
    /// the flow did not make stands. Turning it on in ProbeBandwidth starts the 0.75 phase at the next ACK, which
    /// drains the queue kept until then (a probe under way ends there).
    /// </summary>
    public bool LatencySensitive
    {
        get => _latencySensitive;
        set
        {
            if (value && !_latencySensitive && Phase == BbrPhase.ProbeBandwidth)
            {
                // Whatever queue the flow kept until now (an eighth, a probe's quarter) is what the first replies
                // wait in: drain it as after a probe, from the next ACK on.
                _drainOnSensitive = true;
            }

            _latencySensitive = value;
        }
    }

    private bool _latencySensitive;
    private bool _drainOnSensitive;

    /// <summary>
    /// The same for ending startup: a quarter. Early in startup a round trip holds only a few ACK batches, each up to
    /// a flush interval late, and the eighth (25 ms at 200 ms) ended startup at 3-8 Mbit/s on a 50 Mbit/s path at 10%
    /// loss (pathbench with /metrics read every 0.5 s: the standing-queue exit in each slow run).
    /// </summary>
    private const uint StartupQueueDivisor = 4;

    private bool _startupQueue;         // the last round's shortest RTT was a quarter above the minimum

    /// <summary>Largest loss rate <see cref="PacingRate"/> compensates for.</summary>
    public const double MaximumLossCompensation = 0.2;

    /// <summary>Pacing rate in bytes per millisecond.</summary>
    public double PacingRate
    {
        get
        {
            var bandwidth = _bandwidth.Value;
            var rtt = _minRtt == uint.MaxValue ? InitialRtt : Math.Max(_minRtt, 1);
            if (bandwidth <= 0)
            {
                // No delivery sample yet: the initial window over the RTT (or 100 ms before any RTT sample).
                return PacingGain * CongestionWindow / rtt;
            }

            var compensation = _queueBuilding ? 0 : Math.Min(LossRate, MaximumLossCompensation);
            var rate = PacingGain * bandwidth * PacingMargin / (1 - compensation);
            if (!FilledPipe)
            {
                // Startup never paces below the initial window per RTT (Linux bbr_set_pacing_rate lowers the rate
                // only once the pipe was found full): the first sample may be a few bytes of an idle session (a
                // smux SYN) acknowledged late (a first flight lost to a handshake, a cold peer), 0.2 bytes/ms,
                // and a rate of that size sent one segment per several seconds, each too slow to raise it (--tcp stall).
                rate = Math.Max(rate, PacingGain * InitialWindowSegments * (double)_segmentSize / rtt);
            }

            return rate;
        }
    }

    /// <summary>
    /// The wire bytes per KCP byte changed to <paramref name="factor"/>: the adaptive FEC now sends p parity datagrams
    /// per D data datagrams where it sent another number. The model is in KCP bytes, so the path now carries
    /// old / new times as many of them: every rate, window and bound it holds scales by that at once. The bandwidth
    /// maximum would otherwise keep the old rate for up to 10 round trips, and parity going from 0 to 3 of 10 paced
    /// 30% above the link for about a second (a 1-BDP bottleneck buffer overflowed some 1,500 times in pathbench's
    /// latency-under-load run, where requests beside a download turn the full parity on). Segments sent before the
    /// change still deliver at the old factor; their rate samples are converted (<see cref="DeliverySnapshot.WireFactor"/>).
    /// </summary>
    public void SetWireFactor(double factor)
    {
        if (!(factor >= 1) || double.IsInfinity(factor))
        {
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "wire bytes per KCP byte must be at least 1");
        }

        if (factor == WireFactor)
        {
            return;
        }

        var scale = WireFactor / factor;
        WireFactor = factor;
        _bandwidth.Scale(scale);
        _fullBandwidth *= scale;
        _probeBase *= scale;
        for (var i = 0; i < Math.Min(_roundSampleCount, _roundSamples.Length); i++)
        {
            _roundSamples[i] *= scale;
        }

        var minimum = MinimumWindowSegments * (long)_segmentSize;
        CongestionWindow = Math.Max(minimum, (long)(CongestionWindow * scale));
        if (InflightHigh != long.MaxValue)
        {
            InflightHigh = Math.Max(minimum, (long)(InflightHigh * scale));
        }

        _priorWindow = (long)(_priorWindow * scale);
        _extraAcked[0] = (long)(_extraAcked[0] * scale);
        _extraAcked[1] = (long)(_extraAcked[1] * scale);
    }

    /// <summary>
    /// Records one transmission (first or retransmission) of <paramref name="bytes"/> at <paramref name="now"/> and
    /// returns the delivery state to keep with the segment until it is acknowledged.
    /// </summary>
    /// <param name="now">The KCP clock (ms).</param>
    /// <param name="bytes">KCP bytes of the segment.</param>
    /// <param name="inflight">Bytes in flight before this transmission.</param>
    /// <param name="retransmission">A fast retransmission (a loss signal). Timeout resends are not: KCP's RTO is
    /// aggressive (30 ms minimum in the fast modes) and fires on queueing and ACK-hold delay, and in a real blackout no
    /// ACK comes back at all, so the in-flight cap is what holds the sender; counting them let needless resends cut
    /// inflight_hi round after round (a 100 Mbit/s upload stuck near 4.5 Mbit/s in tunbench).</param>
    internal DeliverySnapshot OnSent(uint now, int bytes, long inflight, bool retransmission)
    {
        _sent += bytes;
        if (inflight == 0)
        {
            // Nothing in flight: a new sending interval starts now (so idle time is not counted as slow delivery).
            _firstSentTime = now;
            if (_deliveredTime != now)
            {
                _deliveredWireBefore = _deliveredWire;
                _deliveredBeforeTime = now;
                _deliveredTime = now;
            }
        }

        _roundTransmissions++;
        if (retransmission)
        {
            _roundRetransmissions++;
        }

        // The interval of this segment's rate sample starts at a state no later ACK can add to: ACKs that arrive
        // in this same ms after this transmission (the rest of the peer's ACK batch) acknowledge bytes that crossed
        // the path before it, so a segment sent between the packets of one batch starts its interval at the last
        // earlier ms with deliveries and counts the whole batch.
        var current = _deliveredTime != now;
        return new DeliverySnapshot
        {
            Delivered = _delivered,
            IntervalDeliveredWire = current ? _deliveredWire : _deliveredWireBefore,
            DeliveredTime = current ? _deliveredTime : _deliveredBeforeTime,
            FirstSentTime = _firstSentTime,
            Sent = _sent,
            AppLimited = _appLimitedUntil != 0,
            WireFactor = WireFactor,
        };
    }

    /// <summary>
    /// Marks the flow application-limited: nothing waits to be sent although the window and the pacing budget would
    /// allow it. Samples until what is in flight now is delivered do not lower the bandwidth estimate.
    /// </summary>
    internal void OnApplicationLimited(long inflight)
    {
        _appLimitedUntil = Math.Max(_delivered + inflight, 1);
    }

    /// <summary>
    /// Marks the flow window-limited: data waits, but KCP's send or receive window (snd_wnd, rmt_wnd) holds it
    /// back. Until what is in flight now is delivered, the delivery rate measures the window, not the path, and its
    /// jumps (the receiver reading again) do not send the controller back to startup.
    /// </summary>
    internal void OnWindowLimited(long inflight)
    {
        _windowLimitedUntil = Math.Max(_delivered + inflight, 1);
    }

    /// <summary>
    /// One segment, last sent at <paramref name="sentAt"/>, is acknowledged (by its ACK or by una);
    /// <paramref name="spuriousRetransmission"/>: the ACK answered an earlier transmission, so the last
    /// retransmission was no loss (KCP's RTO is aggressive and fires on queueing delay) and is not counted as one.
    /// </summary>
    internal void OnDelivered(in DeliverySnapshot snapshot, uint sentAt, int bytes, uint now, bool spuriousRetransmission)
    {
        if (spuriousRetransmission && _roundRetransmissions > 0)
        {
            _roundRetransmissions--;
        }

        if (now != _deliveredTime)
        {
            _deliveredWireBefore = _deliveredWire;
            _deliveredBeforeTime = _deliveredTime;
        }

        _delivered += bytes;
        _deliveredWire += bytes * (snapshot.WireFactor > 0 ? snapshot.WireFactor : WireFactor);
        _deliveredTime = now;
        _sampleAcked += bytes;
        _roundDeliveries++;
        if (_appLimitedUntil != 0 && _delivered > _appLimitedUntil)
        {
            _appLimitedUntil = 0;
        }

        if (_windowLimitedUntil != 0 && _delivered > _windowLimitedUntil)
        {
            _windowLimitedUntil = 0;
        }

        // The sample is taken over the most recently sent of the segments this ACK batch delivers.
        if (!_sampleTaken || snapshot.Delivered >= _samplePriorDelivered)
        {
            _sampleTaken = true;
            _samplePriorDelivered = snapshot.Delivered;
            _samplePriorTime = snapshot.DeliveredTime;
            _sampleAppLimited = snapshot.AppLimited;
            _sampleIntervalDeliveredWire = snapshot.IntervalDeliveredWire;
            _sampleSendElapsed = sentAt - snapshot.FirstSentTime;
            _firstSentTime = sentAt;
        }
    }

    /// <summary>An RTT sample: now minus the echoed ts of an ACK.</summary>
    internal void OnRttSample(uint rtt)
    {
        _sampleMinRtt = Math.Min(_sampleMinRtt, rtt);
        _roundMinRtt = Math.Min(_roundMinRtt, rtt);
    }

    /// <summary>
    /// Ends one batch of ACK processing (one received packet): takes the delivery-rate sample of the batch and
    /// updates the model, the phase, the pacing gain and the in-flight cap.
    /// </summary>
    /// <param name="now">The KCP clock (ms).</param>
    /// <param name="inflight">Bytes in flight after the batch.</param>
    internal void OnAckProcessed(uint now, long inflight)
    {
        var roundStart = false;
        var bandwidthSample = 0.0;
        var sampleValid = false;
        var acked = _sampleAcked;
        if (_sampleTaken)
        {
            if (_samplePriorDelivered >= _nextRoundDelivered)
            {
                _nextRoundDelivered = _delivered;
                _roundCount++;
                roundStart = true;
            }

            var ackElapsed = _deliveredTime - _samplePriorTime;
            var interval = Math.Max(_sampleSendElapsed, ackElapsed);
            // The floor includes this batch's own RTT samples (Linux updates min_rtt before it generates the rate
            // sample): with only the older minimum, a round whose RTT set a new minimum (one segment sent from
            // idle: the interval is its RTT) was discarded, and while RTTs fell (a peer warming up) every one was.
            var minRtt = Math.Min(_minRtt, _sampleMinRtt);
            var floor = minRtt == uint.MaxValue ? 1 : Math.Max(minRtt, 1);
            if (interval >= floor)
            {
                // What crossed the path, each segment at the wire factor it was sent at, in KCP bytes at today's
                // factor: for a round trip after a change the delivered segments were sent at the old one.
                bandwidthSample = (_deliveredWire - _sampleIntervalDeliveredWire) / interval / WireFactor;
                sampleValid = true;
            }
        }

        if (roundStart)
        {
            EndRound();
        }

        if (sampleValid && (!_sampleAppLimited || bandwidthSample >= _bandwidth.Value))
        {
            _bandwidth.Update(_roundCount, bandwidthSample, BandwidthWindowRounds);
            _roundSamples[_roundSampleCount++ % _roundSamples.Length] = bandwidthSample;
        }

        UpdateAckAggregation(now, acked, roundStart);
        if (Phase == BbrPhase.ProbeBandwidth && _probeBase > 0 && _bandwidth.Value >= FullBandwidthGrowth * _probeBase
            && _windowLimitedUntil == 0 && _appLimitedUntil == 0)
        {
            RestartStartup();
        }

        UpdateCycle(now, inflight);
        if (roundStart && !FilledPipe && !_sampleAppLimited)
        {
            CheckFullBandwidth();
        }

        if (roundStart && !FilledPipe && _startupQueue && _bandwidth.Value > 0)
        {
            // Even the shortest RTT of the last round trip was a quarter above the minimum: the bottleneck queue
            // persisted through it, so the pipe is full. Waiting for three rounds without 25% growth meanwhile sent
            // at 2.89x into a queue that was already there, and on a 1-BDP buffer startup overflowed it once nothing
            // but the path limited the sender (1,000-2,000 drops per startup at 100 ms / 100 Mbit/s). Random loss
            // does not raise the RTT, so it does not end startup early. (As gQUIC's BBR2 exit on a persistent queue.)
            EndStartup(StartupExit.Queue);
        }

        if (Phase == BbrPhase.Startup && FilledPipe)
        {
            Phase = BbrPhase.Drain;
            PacingGain = DrainGain;
        }

        if (Phase == BbrPhase.Drain && inflight <= TargetInflight(1))
        {
            EnterProbeBandwidth(now);
        }

        UpdateMinRtt(now, inflight, roundStart);
        SetCongestionWindow(acked);

        _sampleTaken = false;
        _sampleAcked = 0;
        _sampleMinRtt = uint.MaxValue;
    }

    /// <summary>The in-flight cap during <see cref="BbrPhase.ProbeRtt"/>.</summary>
    private long ProbeRttWindow() => Math.Max(MinimumWindowSegments * (long)_segmentSize, TargetInflight(ProbeRttWindowGain));

    /// <summary>Bytes in flight that fill <paramref name="gain"/> x the estimated BDP (the initial window before any estimate).</summary>
    private long TargetInflight(double gain)
    {
        var bandwidth = _bandwidth.Value;
        if (_minRtt == uint.MaxValue || bandwidth <= 0)
        {
            return InitialWindowSegments * (long)_segmentSize;
        }

        return (long)(gain * bandwidth * Math.Max(_minRtt, 1));
    }

    /// <summary>Judges the round trip that just ended for a loss burst, and lets an inflight_hi bound grow back.</summary>
    private void EndRound()
    {
        // Not in a round that ran in ProbeRtt: 4 segments in flight leave room for little but the resends of the holes
        // that were open when it began, so any random loss read as a burst and inflight_hi cut the rate to a crawl
        // it took seconds to climb back from (seen at 1% loss on 100 ms / 100 Mbit/s after every ProbeRtt).
        // The share is taken of what the round sent or what its ACKs covered, whichever is larger: the last round trips
        // of a transfer send little but the resends of its last holes, and by share of transmissions alone they read as
        // a loss burst (a 2 MiB transfer at 10% loss on 200 ms / 50 Mbit/s ended startup with inflight_hi at 0.7 x its
        // window and a 23% loss compensation, and the transfer after it climbed back by 25% probes, 1.6 s each).
        if (_roundMinRtt != uint.MaxValue && _minRtt != uint.MaxValue)
        {
            var divisor = _latencySensitive && FilledPipe ? LatencyStandingQueueDivisor : StandingQueueDivisor;
            _queueBuilding = _roundMinRtt > _minRtt + Math.Max(_minRtt / divisor, 5);
            _startupQueue = _roundMinRtt > _minRtt + Math.Max(_minRtt / StartupQueueDivisor, 5);
        }

        // Nor in startup while no queue stands: its first round trips send a few dozen segments, and at 10% loss each
        // way (lost ACKs resend segments that arrived) five resends in a round of ten happen by chance. Read as a
        // burst, they ended startup at 1-8 Mbit/s on 200 ms / 50 Mbit/s, and probing then climbed 25% per 1.6 s cycle
        // (fake clock, a 0.5 MiB transfer then a bulk one: 3 seeds of 24 at 19-27 Mbit/s instead of 31-36). An
        // overloaded bottleneck queues before it drops, and startup ends on that queue or on a plateau anyway.
        var flight = Math.Max(_roundTransmissions, _roundDeliveries);
        var heavy = !_probeRttInRound
            && (FilledPipe || _queueBuilding)
            && _roundRetransmissions >= HeavyLossMinimumSegments
            && _roundRetransmissions > HeavyLossRate * flight;
        if (heavy)
        {
            var bound = (long)(Math.Min(CongestionWindow, InflightHigh) * LossBackoff);
            InflightHigh = Math.Max(bound, MinimumWindowSegments * (long)_segmentSize);
            EndStartup(StartupExit.HeavyLoss); // a loss burst in startup means the pipe is over-full
        }
        else if (InflightHigh != long.MaxValue)
        {
            InflightHigh += Math.Max(InflightHigh / 4, _segmentSize);
            if (InflightHigh > 2 * TargetInflight(CwndGain) + (long)_segmentSize * 8)
            {
                InflightHigh = long.MaxValue; // it no longer binds
            }
        }

        TrimToQueuedRound();

        _roundMinRtt = uint.MaxValue;
        if (flight > 0 && !_queueBuilding)
        {
            LossRate += (((double)_roundRetransmissions / flight) - LossRate) / 8;
        }

        _roundTransmissions = 0;
        _roundRetransmissions = 0;
        _roundDeliveries = 0;
        _probeRttInRound = Phase == BbrPhase.ProbeRtt;
    }

    /// <summary>
    /// A round trip through which a queue stood while the controller cruised (ProbeBandwidth at gain 1 or 0.75) kept
    /// the bottleneck busy all along, so the median of its rate samples is the link's rate; an estimate above that
    /// is the top of the samples' noise, and it comes down to the median. Each sample is a delivery rate over about
    /// one RTT between two ACK batches, and a batch counts what the peer processed by its flush, so a few ms of
    /// processing lag on either side move a sample 5-10% either way (tunbench, 100 ms / 100 Mbit/s at 1% loss): the
    /// maximum over 10 round trips sat 7-9% above the link, where the median of a round on the full link was within
    /// 0.5% of it, and pacing at the maximum kept a standing queue that overflowed a 1-BDP buffer every second or
    /// two. Only while a queue stands: elsewhere the maximum is what lets a probe find a faster path.
    /// </summary>
    private void TrimToQueuedRound()
    {
        var count = Math.Min(_roundSampleCount, _roundSamples.Length);
        _roundSampleCount = 0;
        if (!_queueBuilding || Phase != BbrPhase.ProbeBandwidth || PacingGain > 1 || count < MinimumTrimSamples)
        {
            return;
        }

        var samples = _roundSamples.AsSpan(0, count);
        samples.Sort();
        // At most TrimStep a round: a round that also repaired a burst of drops delivers less than the link carried,
        // and a median from it sent the estimate 20% below the link, from where the next probe restarted startup.
        var trimmed = Math.Max(samples[count / 2], TrimStep * _bandwidth.Value);
        if (trimmed < _bandwidth.Value)
        {
            _bandwidth.Reset(_roundCount, trimmed);
        }
    }

    private void CheckFullBandwidth()
    {
        var bandwidth = _bandwidth.Value;
        if (bandwidth >= _fullBandwidth * FullBandwidthGrowth)
        {
            _fullBandwidth = bandwidth;
            _fullBandwidthCount = 0;
            return;
        }

        if (++_fullBandwidthCount >= FullBandwidthRounds)
        {
            EndStartup(StartupExit.Plateau);
        }
    }

    /// <summary>
    /// Back to <see cref="BbrPhase.Startup"/>: a gain-1.25 probe found at least 25% more bandwidth than the estimate
    /// it began with, so the pipe was not full. The bottleneck got faster (a competing flow left, a link came up to
    /// speed) or startup ended early (a receiver starved of CPU for three round trips): probing 25% per 8-phase
    /// cycle took 8.5 s to follow a tenfold rise at 1% loss; startup doubles the rate per round trip and ends again
    /// at the next plateau. A full pipe cannot deliver 25% more, so at capacity this does not fire; nor while KCP's
    /// windows limit the flow (<see cref="OnWindowLimited"/>), where the rate follows the window.
    /// </summary>
    private void RestartStartup()
    {
        StartupRestarts++;
        Phase = BbrPhase.Startup;
        PacingGain = StartupGain;
        FilledPipe = false;
        _fullBandwidth = _bandwidth.Value;
        _fullBandwidthCount = 0;
        _probeBase = 0;
    }

    private void EnterProbeBandwidth(uint now)
    {
        Phase = BbrPhase.ProbeBandwidth;
        // Any phase but the draining one first (as Linux), chosen by the seed.
        EnterCyclePhase((int)(2 + (_cycleSeed % 6)), now);
    }

    /// <summary>
    /// Starts phase <paramref name="index"/> of the gain cycle; a probe remembers the estimate it began with. While
    /// latency-sensitive, a probe is at <see cref="LatencyProbeGain"/> and cruising at <see cref="LatencyCruiseGain"/>.
    /// </summary>
    private void EnterCyclePhase(int index, uint now)
    {
        _cycleIndex = index;
        _cycleStamp = now;
        PacingGain = CycleGains[index];
        if (index == ProbeCycleIndex)
        {
            PacingGain = _latencySensitive ? LatencyProbeGain : PacingGain;
            _probeBase = _latencySensitive ? 0 : _bandwidth.Value;
        }
        else if (index > DrainCycleIndex && _latencySensitive)
        {
            PacingGain = LatencyCruiseGain;
        }
    }

    private void UpdateCycle(uint now, long inflight)
    {
        if (Phase != BbrPhase.ProbeBandwidth)
        {
            _drainOnSensitive = false; // startup, drain or ProbeRtt leave no kept queue to drain
            return;
        }

        if (_drainOnSensitive)
        {
            _drainOnSensitive = false;
            EnterCyclePhase(DrainCycleIndex, now);
            _probeBase = 0;
            return;
        }

        var fullLength = _minRtt != uint.MaxValue && (int)(now - _cycleStamp) > (int)_minRtt;
        bool next;
        if (_cycleIndex > DrainCycleIndex)
        {
            // Cruising (at 1, or LatencyCruiseGain): one min RTT per phase.
            next = fullLength;
        }
        else if (_cycleIndex == ProbeCycleIndex)
        {
            // Probe up for a whole min RTT, and until in flight reached the probing level, or losses above the path's
            // usual rate stopped it (a queue overflowing). Random loss does not: at 1% loss nearly every round trip
            // has a resend, so the probe ended after one min RTT, before any rate sample could span it.
            var usual = Math.Max(1, 2 * LossRate * _roundTransmissions);
            next = fullLength && (_roundRetransmissions > usual || inflight >= TargetInflight(PacingGain));
        }
        else
        {
            // Drain what probing queued: one min RTT, or less once in flight is back at one BDP. While the last round
            // trip showed a standing queue (even its shortest RTT an eighth above the minimum), on until in flight is
            // back at one BDP, at most DrainLimitRtts min RTTs (as BBR v2's PROBE_DOWN): the bandwidth filter keeps the
            // top of its samples' noise, a packet more or less in a sample's ACK batches (1.5-2.6% at 5 Mbit/s and
            // 50 ms), above the 1% pacing margin, so the queue a step down or a probe left grew at gain 1 and one min RTT
            // at 0.75 took back only what the 1.25 phase added: it lasted until ProbeRtt, up to 50 ms.
            var longest = _minRtt != uint.MaxValue && (int)(now - _cycleStamp) > (int)(DrainLimitRtts * _minRtt);
            next = (fullLength && (!_queueBuilding || longest)) || inflight <= TargetInflight(1);
        }

        if (next)
        {
            EnterCyclePhase((_cycleIndex + 1) % CycleGains.Length, now);
        }
    }

    private void UpdateMinRtt(uint now, long inflight, bool roundStart)
    {
        // While someone waits behind the flow, an RTT within a sixteenth of the minimum keeps it current: ProbeRtt
        // exists to find the minimum under a queue the flow itself keeps, and it stops sending until half the BDP
        // is acknowledged, about half an RTT, so every reply queued then waited that long (pathbench, rr beside a
        // download: 140-180 ms every 10 s at 100 ms RTT). The minimum stays the lowest sample; a path that got
        // slower shows no such RTT and expires it as usual.
        if (_latencySensitive && _minRtt != uint.MaxValue && _sampleMinRtt <= _minRtt + (_minRtt / LatencyStandingQueueDivisor))
        {
            _minRttStamp = now;
        }

        var expired = _minRtt != uint.MaxValue && (int)(now - _minRttStamp) > (int)MinRttWindow;
        if (_sampleMinRtt != uint.MaxValue && (_sampleMinRtt < _minRtt || expired))
        {
            _minRtt = _sampleMinRtt;
            _minRttStamp = now;
        }

        if (expired && Phase != BbrPhase.ProbeRtt)
        {
            Phase = BbrPhase.ProbeRtt;
            PacingGain = 1;
            _priorWindow = Math.Max(_priorWindow, CongestionWindow);
            _probeRttDone = 0;
        }

        if (Phase != BbrPhase.ProbeRtt)
        {
            return;
        }

        _probeRttInRound = true;
        if (_probeRttDone == 0 && inflight <= ProbeRttWindow())
        {
            _probeRttDone = now + ProbeRttDuration;
            if (_probeRttDone == 0)
            {
                _probeRttDone = 1;
            }

            _probeRttRoundDone = false;
            _nextRoundDelivered = _delivered;
        }
        else if (_probeRttDone != 0)
        {
            if (roundStart)
            {
                _probeRttRoundDone = true;
            }

            if (_probeRttRoundDone && (int)(now - _probeRttDone) >= 0)
            {
                _minRttStamp = now;
                CongestionWindow = Math.Max(CongestionWindow, _priorWindow);
                _priorWindow = 0;
                if (FilledPipe)
                {
                    EnterProbeBandwidth(now);
                }
                else
                {
                    Phase = BbrPhase.Startup;
                    PacingGain = StartupGain;
                }
            }
        }
    }

    /// <summary>
    /// Measures how far ACKs run ahead of the bandwidth estimate (the peer acknowledges in batches, every flush
    /// interval), so the window can cover data sent while the next batch of ACKs is held back (Linux: extra_acked).
    /// </summary>
    private void UpdateAckAggregation(uint now, long acked, bool roundStart)
    {
        if (acked <= 0)
        {
            return;
        }

        if (roundStart && ++_extraAckedRounds >= AggregationWindowRounds)
        {
            _extraAckedRounds = 0;
            _extraAckedSlot ^= 1;
            _extraAcked[_extraAckedSlot] = 0;
        }

        var bandwidth = _bandwidth.Value;
        var expected = (long)(bandwidth * (now - _ackEpochStart));
        if (_ackEpochAcked <= expected || _ackEpochAcked + acked >= 1 << 20)
        {
            _ackEpochAcked = 0;
            _ackEpochStart = now;
            expected = 0;
        }

        _ackEpochAcked += acked;
        var extra = Math.Min(_ackEpochAcked - expected, CongestionWindow);
        if (extra > _extraAcked[_extraAckedSlot])
        {
            _extraAcked[_extraAckedSlot] = extra;
        }
    }

    private long AggregationAllowance()
    {
        if (!FilledPipe)
        {
            return 0;
        }

        var extra = Math.Max(_extraAcked[0], _extraAcked[1]);
        return Math.Min(extra, (long)(_bandwidth.Value * AggregationCapMs));
    }

    private void SetCongestionWindow(long acked)
    {
        var minimum = MinimumWindowSegments * (long)_segmentSize;
        var window = CongestionWindow;
        if (Phase == BbrPhase.ProbeRtt)
        {
            window = ProbeRttWindow();
        }
        else
        {
            var target = TargetInflight(CwndGain) + AggregationAllowance() + (3L * _segmentSize);
            if (FilledPipe)
            {
                window = Math.Min(window + acked, target);
            }
            else if (window < target || _delivered < InitialWindowSegments * (long)_segmentSize)
            {
                window += acked;
            }
        }

        window = Math.Min(window, InflightHigh);
        CongestionWindow = Math.Max(window, minimum);
    }
}
