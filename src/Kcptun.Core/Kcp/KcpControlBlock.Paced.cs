using Kcptun.Kcp.Congestion;

namespace Kcptun.Kcp;

// Sending under the rate controller (--cc bbr, issue 11): what replaces steps 4 and 5 of the flush (docs/protocol/kcp.md §6.5)
// when CongestionControl is Bbr. The wire format is unchanged; only when segments leave differs.
public sealed partial class KcpControlBlock
{
    /// <summary>
    /// Most pacing budget that can build up, in ms of the pacing rate: a flush that runs late (a busy scheduler)
    /// may catch up by this much at once, no more.
    /// </summary>
    private const uint PaceBurstMilliseconds = 4;

    private BbrController? _bbr;
    private long _bytesInFlight;        // KCP bytes of transmitted, unacknowledged segments (bbr only)
    private double _paceBudget;         // bytes that may leave now; negative: in debt
    private uint _paceStamp;
    private bool _paceStarted;
    private bool _deliveredInInput;
    private bool _paceBlocked;          // the last paced flush left data waiting for budget
    private uint _oldestDeliveredSent;  // send time of the oldest once-sent segment the current input delivered (0: none)
    private long _pacedTransmissions;   // data segments transmitted under bbr, retransmissions included
    private long _pacedRetransmissions;
    private long _spuriousRetransmissions;
    private long _windowLimitedFlushes;
    private long _applicationLimitedFlushes;

    /// <summary>Most ms a peer holds an ACK: the longest flush interval of the kcptun modes (normal, 40 ms).</summary>
    private const int AckHoldAllowance = 40;

    /// <summary>
    /// The congestion control (<c>--cc</c>). <see cref="Congestion.CongestionControl.Kcp"/> (the default of a new
    /// control block) is kcp-go's behaviour bit for bit. <see cref="Congestion.CongestionControl.Bbr"/> paces new
    /// segments and retransmissions at the rate controller's pacing rate (retransmissions first) and admits new
    /// segments only while the bytes in flight stay under its window; snd_wnd and rmt_wnd remain upper bounds and
    /// nc no longer matters. Set it before the first <see cref="Send"/> (after <see cref="SetMtu"/>).
    /// </summary>
    public CongestionControl CongestionControl
    {
        get => _bbr is null ? CongestionControl.Kcp : CongestionControl.Bbr;
        set
        {
            if (value == CongestionControl)
            {
                return;
            }

            _bbr = value == CongestionControl.Bbr ? new BbrController(_mss + KcpSegmentHeader.Size, Conversation) : null;
            _bytesInFlight = 0;
            _paceStarted = false;
        }
    }

    /// <summary>A new segment size before anything was sent restarts the controller with it (its minimum window counts segments).</summary>
    private void ResizeRateController()
    {
        if (_bbr is not null && _sendNext == 0 && _bytesInFlight == 0)
        {
            _bbr = new BbrController(_mss + KcpSegmentHeader.Size, Conversation);
        }
    }

    /// <summary>The rate controller under <see cref="Congestion.CongestionControl.Bbr"/> (diagnostics and tests), else null.</summary>
    public BbrController? RateController => _bbr;

    /// <summary>
    /// Under bbr, how much the send queue (data accepted, not yet transmitted) may hold before the owner waits, in ms
    /// of the pacing rate. Everything written later (another smux stream's reply, a window update) queues behind it:
    /// bounding it by the controller's window (up to 2 x BDP, about 200 ms at 100 Mbit/s and 100 ms RTT) put an rr
    /// p99 of 671 ms behind a bulk stream in the same tunnel (issue 11, latency under load). A few ms keep the pacer
    /// fed (the writer is woken on every ACK and flush) and leave the order to smux, which interleaves its streams.
    /// </summary>
    public const int SendQueueMilliseconds = 10;

    /// <summary>
    /// The send queue's bound while <see cref="LatencySensitive"/> is set, in ms of the pacing rate: enough for the
    /// writer's wake-up on a quiet machine, so a reply written beside a bulk stream waits a few ms here, not ten.
    /// </summary>
    public const int ShortSendQueueMilliseconds = 3;

    /// <summary>
    /// Whether someone waits behind the flow (bbr only; the session sets it while more than one smux stream's data
    /// goes out in turn). Then the send queue is bounded by <see cref="ShortSendQueueMilliseconds"/> instead of
    /// <see cref="SendQueueMilliseconds"/> (the bulk risks a pacer that runs dry when its writer wakes late, a little
    /// goodput, for replies that wait less), and the rate controller keeps less queue at the bottleneck
    /// (<see cref="BbrController.LatencySensitive"/>).
    /// </summary>
    public bool LatencySensitive
    {
        get => _latencySensitive;
        set
        {
            _latencySensitive = value;
            if (_bbr is not null)
            {
                _bbr.LatencySensitive = value;
            }
        }
    }

    private bool _latencySensitive;

    /// <summary>Fewest segments the send queue may hold under bbr whatever the rate (low rates, startup).</summary>
    public const int MinimumQueuedSegments = 16;

    /// <summary>
    /// Whether the owner should queue more data: always under kcp (the windows decide, as kcp-go); under bbr only
    /// while the send queue holds less than <see cref="SendQueueMilliseconds"/> of the pacing rate (at least
    /// <see cref="MinimumQueuedSegments"/> segments), so data waits above KCP, where the streams are still apart,
    /// rather than in one FIFO below the multiplexer.
    /// </summary>
    public bool CanQueueMore => SendQueueRoomSegments > 0;

    /// <summary>Segments the send queue may still take before <see cref="CanQueueMore"/> turns false (unbounded under kcp).</summary>
    public int SendQueueRoomSegments => _bbr is null ? int.MaxValue : SendQueueLimitSegments - _sendQueue.Count;

    /// <summary>Segments the send queue may hold before <see cref="CanQueueMore"/> turns false (bbr only; 0 under kcp).</summary>
    public int SendQueueLimitSegments
    {
        get
        {
            if (_bbr is null)
            {
                return 0;
            }

            var segment = _mss + KcpSegmentHeader.Size;
            var bytes = _bbr.PacingRate * (_latencySensitive ? ShortSendQueueMilliseconds : SendQueueMilliseconds);
            return (int)Math.Clamp(Math.Ceiling(bytes / segment), MinimumQueuedSegments, int.MaxValue);
        }
    }

    /// <summary>Segments accepted and not yet transmitted (snd_queue).</summary>
    public int QueuedSegments => _sendQueue.Count;

    /// <summary>Data segments transmitted so far, retransmissions included (counted under <see cref="Congestion.CongestionControl.Bbr"/> only).</summary>
    public long DataSegmentsTransmitted => _pacedTransmissions;

    /// <summary>
    /// Retransmissions that were needed: every retransmission (fast or timeout) minus those found spurious (the
    /// segment's ACK came back sooner than the minimum RTT after the resend, so an earlier copy had arrived).
    /// Under <see cref="Congestion.CongestionControl.Bbr"/> only; the adaptive FEC's view of the loss FEC left to ARQ.
    /// </summary>
    public long NeededRetransmissions => Math.Max(0, _pacedRetransmissions - _spuriousRetransmissions);

    /// <summary>
    /// Paced flushes that left data waiting because snd_wnd or rmt_wnd held it, not the controller (counted under
    /// <see cref="Congestion.CongestionControl.Bbr"/> only): the adaptive FEC's sign that every hole left to ARQ holds
    /// the window, and with it the rate, for a round trip.
    /// </summary>
    public long WindowLimitedFlushes => _windowLimitedFlushes;

    /// <summary>
    /// Paced flushes that found nothing left to send while the controller and the windows would have allowed more
    /// (counted under <see cref="Congestion.CongestionControl.Bbr"/> only): the application, not the path, set the pace.
    /// </summary>
    public long ApplicationLimitedFlushes => _applicationLimitedFlushes;

    /// <summary>KCP bytes transmitted and not yet acknowledged (tracked under <see cref="Congestion.CongestionControl.Bbr"/> only).</summary>
    public long BytesInFlight => _bytesInFlight;

    /// <summary>
    /// Steps 4 and 5 of the flush under the rate controller: due retransmissions first (fast, then timeout, in sn
    /// order), then new segments from the send queue, each only while the pacing budget is positive; new segments
    /// also only while in flight stays below the controller's window and sn below snd_una + min(snd_wnd, rmt_wnd).
    /// kcp-go's early retransmit is left out: with pacing, "nothing new admitted" is the normal state of a flush and
    /// the rule would resend every segment that saw a single later ACK, which reordering and FEC recovery cause.
    /// Returns the ms until the next flush is due.
    /// </summary>
    private int FlushPaced(ref byte[] buffer, ref int offset, ushort window, uint una, uint now, ref long outSegments)
    {
        var bbr = _bbr!;
        RefillPaceBudget(bbr, now);
        var resendThreshold = _fastResend > 0 ? (uint)_fastResend : uint.MaxValue;
        long lost = 0, fast = 0;
        var nextDue = (int)_interval;
        var retransmissionsWaiting = false;
        var count = _sendBuffer.Count;
        var holeKnown = false;
        for (var i = 0; i < count; i++)
        {
            ref var segment = ref _sendBuffer[i];
            if (segment.Acknowledged)
            {
                continue;
            }

            holeKnown |= segment.FastAck > 0 || segment.Transmissions > 1;
            var isFast = segment.FastAck >= resendThreshold;
            var resendAt = TimeoutAt(ref segment, bbr);
            var isTimeout = !isFast && (int)(now - resendAt) >= 0;
            if ((isFast || isTimeout) && _paceBudget <= 0)
            {
                retransmissionsWaiting = true;
            }
            else if (isFast)
            {
                fast++;
                holeKnown = true;
                segment.FastAck = 0;
                _fastAckScanStart = Math.Min(_fastAckScanStart, i);
                segment.Rto = _rto;
                segment.ResendAt = now + segment.Rto;
                TransmitPaced(ref segment, ref buffer, ref offset, window, una, now, retransmission: true);
                outSegments++;
                resendAt = segment.ResendAt; // just sent: nothing behind it yet, so TimeoutAt is its plain RTO
            }
            else if (isTimeout)
            {
                // Additive back-off, as the kcp path.
                segment.Rto += _noDelay == 0 ? _rto : _rto / 2;
                segment.FastAck = 0;
                _fastAckScanStart = Math.Min(_fastAckScanStart, i);
                segment.ResendAt = now + segment.Rto;
                lost++;
                holeKnown = true;
                NotePastWindowResend(ref segment, now, bbr);
                TransmitPaced(ref segment, ref buffer, ref offset, window, una, now, retransmission: true, lossSignal: false);
                outSegments++;
                resendAt = segment.ResendAt;
            }

            var untilDue = (int)(resendAt - now);
            if (untilDue > 0 && untilDue < nextDue)
            {
                nextDue = untilDue;
            }
        }

        // New segments, within the windows (rmt_wnd plus the reach while no hole is known), the controller's
        // in-flight cap and the pacing budget.
        _holeKnown = holeKnown;
        var sendLimit = (uint)SendLimitSegments;
        var cap = bbr.CongestionWindow;
        var blockedByBudget = false;
        while (_sendQueue.Count > 0 && (int)(_sendNext - (_sendUnacknowledged + sendLimit)) < 0)
        {
            var size = KcpSegmentHeader.Size + _sendQueue.Front.Length;
            if (_bytesInFlight > 0 && _bytesInFlight + size > cap)
            {
                break;
            }

            if (_paceBudget <= 0 || retransmissionsWaiting)
            {
                blockedByBudget = true;
                break;
            }

            var segment = _sendQueue.Front;
            _sendQueue.PopFront();
            segment.PastWindow = IsPastRemoteWindow(_sendNext);
            segment.SequenceNumber = _sendNext++;
            segment.Rto = _rto;
            segment.ResendAt = now + segment.Rto;
            _sendBuffer.PushBack(segment);
            ref var queued = ref _sendBuffer.Back;
            TransmitPaced(ref queued, ref buffer, ref offset, window, una, now, retransmission: false);
            outSegments++;
            var untilDue = (int)_rto;
            if (untilDue < nextDue)
            {
                nextDue = untilDue;
            }
        }

        if (_sendQueue.Count > 0 && (int)(_sendNext - (_sendUnacknowledged + sendLimit)) >= 0)
        {
            bbr.OnWindowLimited(_bytesInFlight);
            _windowLimitedFlushes++;
        }

        if (_sendQueue.Count == 0 && !retransmissionsWaiting && _bytesInFlight < cap)
        {
            // Nothing to send although path and budget would allow it: the application sets the pace.
            bbr.OnApplicationLimited(_bytesInFlight);
            _applicationLimitedFlushes++;
        }

        if (lost + fast > 0)
        {
            CountRetransmissions(fast, 0, lost);
        }

        _burstEnded = _sendQueue.Count == 0 && !retransmissionsWaiting;
        _paceBlocked = (blockedByBudget || retransmissionsWaiting) && _paceBudget <= 0;
        if (_paceBlocked)
        {
            // Come back when the budget turns positive again.
            var rate = Math.Max(bbr.PacingRate, 0.001);
            var wait = (int)Math.Ceiling((-_paceBudget + 1) / rate);
            nextDue = Math.Clamp(wait, 1, nextDue);
        }

        return nextDue;
    }

    /// <summary>
    /// The first timeout of a segment sent past rmt_wnd cuts the window reach: what the peer dropped past its window
    /// is never acknowledged, and nothing sent after it is either, so it times out. A fast retransmission does not: a
    /// later segment was acknowledged, the peer took that one, and the usual cause is a loss FEC had not repaired
    /// when the peer's ACKs left.
    /// </summary>
    private void NotePastWindowResend(ref KcpSegment segment, uint now, BbrController bbr)
    {
        if (segment.PastWindow && segment.Transmissions == 1)
        {
            OnPastWindowResent(now, bbr.MinRtt == uint.MaxValue ? _rto : bbr.MinRtt);
        }
    }

    /// <summary>
    /// When a timeout retransmission of <paramref name="segment"/> is due under bbr. A segment followed by at least
    /// resend later transmissions is left to fast retransmit (the ACKs of those later segments count its fastack, a
    /// lost retransmission included, since only segments sent after it count) until
    /// <see cref="LossDetectionHorizon"/> after it was sent: KCP's RTO (srtt + max(interval, 4 rttvar)) sits only
    /// 20-40 ms above the RTT, and the queue BBR keeps while probing (up to one min RTT at its 2 x BDP cap) plus the
    /// peer's ACK hold pass that, so about 1% of the segments of a clean 100 ms / 100 Mbit/s path were resent for
    /// nothing and ~10% at 1% loss. The last segments sent (nothing behind them to trigger a fast retransmit: a lone
    /// request, a transfer's tail) keep the plain RTO.
    /// </summary>
    private uint TimeoutAt(ref KcpSegment segment, BbrController bbr)
    {
        if (_fastResend <= 0 || bbr.MinRtt == uint.MaxValue
            || bbr.Sent - segment.Delivery.Sent < (long)_fastResend * (_mss + KcpSegmentHeader.Size))
        {
            return segment.ResendAt;
        }

        var horizon = segment.Timestamp + LossDetectionHorizon(bbr);
        return (int)(horizon - segment.ResendAt) > 0 ? horizon : segment.ResendAt;
    }

    /// <summary>How long a segment with later transmissions behind it waits for fast retransmit: 2 min RTT (BBR's in-flight cap allows one min RTT of queue) plus the peer's ACK hold.</summary>
    private static uint LossDetectionHorizon(BbrController bbr) => (2 * bbr.MinRtt) + AckHoldAllowance;

    private void RefillPaceBudget(BbrController bbr, uint now)
    {
        var rate = bbr.PacingRate;
        var elapsed = _paceStarted ? Math.Max((int)(now - _paceStamp), 0) : 0;

        // A flush that comes late (a busy scheduler thread, or ACKs arriving in batches) sends what the elapsed time
        // allows, up to one flush interval of it: with a fixed 4 ms cap a machine at load 30 got about one flush per
        // 20 ms and sent only a fifth of the pacing rate (13 of 100 Mbit/s).
        // Only a sender the budget held back catches up; one that waited for ACKs (window-limited) or for data starts
        // from the 4 ms burst.
        var window = _paceBlocked ? Math.Clamp(elapsed, (int)PaceBurstMilliseconds, (int)_interval) : (int)PaceBurstMilliseconds;
        var burst = Math.Max(2.0 * (_mss + KcpSegmentHeader.Size), rate * window);
        if (!_paceStarted)
        {
            _paceStarted = true;
            _paceBudget = burst;
        }
        else if (elapsed > 0)
        {
            _paceBudget = Math.Min(_paceBudget + (rate * elapsed), burst);
        }

        _paceStamp = now;
    }

    private void TransmitPaced(ref KcpSegment segment, ref byte[] buffer, ref int offset, ushort window, uint una, uint now, bool retransmission, bool lossSignal = true)
    {
        var need = KcpSegmentHeader.Size + segment.Length;
        segment.Delivery = _bbr!.OnSent(now, need, _bytesInFlight, retransmission && lossSignal);
        _pacedTransmissions++;
        if (!retransmission)
        {
            _bytesInFlight += need;
        }
        else
        {
            _pacedRetransmissions++;
        }

        _paceBudget -= need;
        segment.Transmissions++;
        segment.Timestamp = now;
        offset = MakeSpace(buffer, offset, need);
        buffer = _outputBuffer; // MakeSpace may have grown it
        NoteDataWritten(offset);
        KcpSegmentHeader.Write(buffer.AsSpan(offset), Conversation, KcpCommand.Push, segment.Fragment, window, now, segment.SequenceNumber, una, (uint)segment.Length);
        segment.Data.AsSpan(0, segment.Length).CopyTo(buffer.AsSpan(offset + KcpSegmentHeader.Size));
        offset += need;
        if (segment.Transmissions >= DeadLinkTransmissions)
        {
            _deadLink = true;
        }
    }

    /// <summary>A transmitted segment left the send buffer's unacknowledged set (by its ACK or by una).</summary>
    private void OnSegmentDelivered(ref KcpSegment segment, uint now, bool spurious)
    {
        var size = KcpSegmentHeader.Size + segment.Length;
        _bytesInFlight = Math.Max(0, _bytesInFlight - size);
        // Acknowledged sooner after the last resend than the path's minimum RTT: an earlier copy arrived.
        var bbr = _bbr!;
        spurious |= segment.Transmissions > 1 && bbr.MinRtt != uint.MaxValue && (int)(now - segment.Timestamp) < (int)bbr.MinRtt;
        if (spurious && segment.Transmissions > 1)
        {
            _spuriousRetransmissions++;
        }
        bbr.OnDelivered(segment.Delivery, segment.Timestamp, size, now, spurious);
        if (segment.PastWindow && segment.Transmissions == 1)
        {
            OnPastWindowDelivered(now - segment.Timestamp, bbr.MinRtt);
        }

        _deliveredInInput = true;
        if (segment.Transmissions == 1 && (_oldestDeliveredSent == 0 || (int)(segment.Timestamp - _oldestDeliveredSent) < 0))
        {
            _oldestDeliveredSent = segment.Timestamp == 0 ? 1 : segment.Timestamp;
        }
    }
}
