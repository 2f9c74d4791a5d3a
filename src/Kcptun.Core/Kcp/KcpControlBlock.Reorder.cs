using Kcptun.Kcp.Congestion;

namespace Kcptun.Kcp;

/// <summary>
/// Reordering tolerance of fast retransmit under <see cref="CongestionControl.Bbr"/> (docs/bbr.md, "Reordering"). KCP
/// resends a segment once <c>resend</c> later ones are acknowledged (2 in the fast modes), which on a path that
/// reorders (packets spread over links of different delay: 10 ms of jitter at 100 Mbit/s puts a hundred segments out
/// of order) resent a third of everything for nothing, and every needless resend spent pacing budget the new data
/// needed. As TCP's RACK, the sender learns the reordering from the resends that turn out needless (the ACK echoes
/// the earlier transmission's ts) and waits a reordering window past the minimum RTT before it resends on fastack.
/// No needless resends, no window: on a path that does not reorder nothing changes.
/// </summary>
public sealed partial class KcpControlBlock
{
    /// <summary>This many min RTTs without a burst of needless fast retransmits take one step off the reordering window.</summary>
    private const int ReorderDecayRtts = 16;

    private uint _reorderWindow;        // ms past the min RTT a fast retransmit waits after the segment's last send (0: none)
    private uint _reorderRaisedAt;
    private uint _reorderQuietSince;

    /// <summary>The reordering window now: ms past the minimum RTT a fast retransmit waits (0 while no resend was needless).</summary>
    public uint ReorderWindow => _reorderWindow;

    /// <summary>
    /// Distinct moments (ms) within one min RTT at which needless fast retransmits showed up that mean reordering. A
    /// lost ACK datagram yields dozens at once: the segments it acknowledged were resent on the next datagram's ACKs,
    /// and a peer that repeats ACKs (<see cref="RepeatingAcks"/>) then acknowledges their first copies, all in one
    /// input (a path without reordering at 1% loss each way: 40 at a time, every second or two). Reordering yields
    /// them all the time (10 ms of jitter at 100 Mbit/s: in most inputs).
    /// </summary>
    private const int ReorderEvidence = 4;

    private int _needlessInPeriod;
    private uint _needlessPeriodStart;
    private uint _lastNeedlessAt;

    /// <summary>
    /// A fast retransmit was needless (a timeout's says the RTO was short, not that the path reorders). Once
    /// <see cref="ReorderEvidence"/> of them came within a min RTT, the window grows by an eighth of the min RTT, at
    /// most once per min RTT, up to the min RTT (RACK's stops at the smoothed RTT).
    /// </summary>
    private void OnNeedlessResend(uint now, uint minRtt)
    {
        if (minRtt == uint.MaxValue)
        {
            return;
        }

        if ((int)(now - _needlessPeriodStart) >= (int)minRtt)
        {
            _needlessPeriodStart = now;
            _needlessInPeriod = 0;
        }

        if (now == _lastNeedlessAt || ++_needlessInPeriod < ReorderEvidence)
        {
            _lastNeedlessAt = now;
            return;
        }

        _lastNeedlessAt = now;

        _reorderQuietSince = now;
        if (_reorderWindow > 0 && (int)(now - _reorderRaisedAt) < (int)minRtt)
        {
            return;
        }

        _reorderWindow = Math.Min(_reorderWindow + ReorderStep(minRtt), minRtt);
        _reorderRaisedAt = now;
    }

    /// <summary>Once per paced flush: a window that saw no needless resend for a while shrinks a step.</summary>
    private void DecayReorderWindow(uint now, uint minRtt)
    {
        if (_reorderWindow == 0 || minRtt == uint.MaxValue
            || (int)(now - _reorderQuietSince) < ReorderDecayRtts * (long)minRtt)
        {
            return;
        }

        _reorderWindow -= Math.Min(ReorderStep(minRtt), _reorderWindow);
        _reorderQuietSince = now;
    }

    /// <summary>
    /// When a segment that later ACKs passed may be resent: at once without a reordering window, else once the min
    /// RTT plus the window has gone by since its last send (a segment reordered behind later ones arrives by then).
    /// </summary>
    private uint FastResendAt(ref KcpSegment segment, uint now, uint minRtt) =>
        _reorderWindow == 0 || minRtt == uint.MaxValue ? now : segment.Timestamp + minRtt + _reorderWindow;

    private static uint ReorderStep(uint minRtt) => Math.Max(minRtt / 8, 1);
}
