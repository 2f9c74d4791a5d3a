namespace Kcptun.Kcp;

// Sending past the peer's advertised window under bbr (issue 11, ours to a Go receiver at its defaults).
//
// A KCP receiver takes any segment below rcv_nxt + rcv_wnd; the sender only knows the rcv_nxt of the peer's last
// flush (una). Against a kcp-go receiver that holds its ACKs for its flush interval (30 ms in fast mode) on a 100 ms
// path, snd_una trails the receiver's rcv_nxt by about half a window, and a sender held to snd_una + rmt_wnd
// fills the window once per RTT plus that hold: 512 segments per ~125 ms, ~42 Mbit/s. On a FIFO path every segment
// sent earlier reaches the receiver before a new one does, so while no segment is known to be missing, the new one
// finds rcv_nxt near snd_nxt and could go well past snd_una + rmt_wnd. What it risks is a hole not known yet (a loss
// that FEC does not repair): the receiver drops what arrives past hole + rcv_wnd, unacknowledged, to be resent.
//
// So the reach past rmt_wnd is earned, like a congestion window: it starts small, grows by a segment for every
// segment sent past rmt_wnd that was acknowledged at its first transmission without a queue on its round trip
// (doubling per round trip; a queue of a whole minimum RTT ends the doubling, the path is full) until such a
// segment first times out, and by one per reach's worth after that (additive); each timeout of a segment sent past
// rmt_wnd halves it (at most once per round trip). Only a timeout: what the peer dropped is never acknowledged and
// neither is anything sent after it, while a fast retransmission means a later segment arrived, usually past a loss
// FEC had not yet repaired when the peer's ACKs left. (Resending what lay a window past a hole at once, when the
// hole was found, rather than at its timeout, and cutting the reach then: against Go 20210922 at 1% loss 45-46
// Mbit/s against 54 with the timeout alone.) A known hole (an unacknowledged segment that a later ACK passed, or
// one already resent) sends nothing past rmt_wnd until it is filled. The reach is at most
// rmt_wnd (twice the advertised window in flight), and none while the peer's application falls behind (its
// advertised window an eighth or more below the widest it advertised).
// Equilibrium: a reach near sqrt(2 / p) for p the rate of unrepaired loss of those segments, so with the parity a
// window-bound sender gets (docs/fec-adaptive.md), which leaves ~0.0002% at 1% loss, the whole rmt_wnd.
public sealed partial class KcpControlBlock
{
    /// <summary>The reach past rmt_wnd a bbr session starts with (segments).</summary>
    public const int InitialWindowReach = 16;

    private int _windowReach = InitialWindowReach;
    private int _reachCredit;               // acknowledged past-window segments since the last additive step
    private bool _reachGrowsFast = true;    // no past-window segment timed out yet
    private uint _reachCutAt;
    private bool _reachCut;
    private bool _holeKnown;                // the last paced flush saw an unacknowledged segment the peer lacks
    private uint _remoteWindowPeak;         // the widest window the peer advertised

    /// <summary>
    /// Segments under bbr may go past snd_una + rmt_wnd by this much while no hole is known (see the file's
    /// comment); 0 under kcp.
    /// </summary>
    public int WindowReach => _bbr is null || !PeerKeepsUp ? 0 : Math.Min(_windowReach, (int)_remoteWindow);

    /// <summary>
    /// Whether the peer's application keeps up: its last advertised window is within an eighth of the widest it ever
    /// advertised (rcv_wnd minus what waits unread). A peer whose reader falls behind fills its queue, so its
    /// rcv_nxt stops and what goes past its window is dropped (or, on a receiver that keeps out-of-order segments up
    /// to rcv_nxt + rcv_wnd as kcp-go does, held beside a full queue): no reach then.
    /// </summary>
    private bool PeerKeepsUp => _remoteWindow > 0 && _remoteWindow + (_remoteWindowPeak / 8) >= _remoteWindowPeak;

    /// <summary>
    /// How far past snd_una new segments may go: min(snd_wnd, rmt_wnd) under kcp (kcp-go), and under bbr
    /// min(snd_wnd, rmt_wnd + <see cref="WindowReach"/>) while no hole is known. The owner's write condition uses it too.
    /// </summary>
    public int SendLimitSegments => (int)Math.Min(_sendWindow, _remoteWindow + (uint)(_holeKnown ? 0 : WindowReach));

    /// <summary>A segment is about to be sent for the first time at <paramref name="sn"/>: whether that is past snd_una + rmt_wnd.</summary>
    private bool IsPastRemoteWindow(uint sn) => (int)(sn - (_sendUnacknowledged + _remoteWindow)) >= 0;

    /// <summary>
    /// A segment sent past rmt_wnd was acknowledged at its first transmission, <paramref name="roundTrip"/> ms
    /// after it left: the reach grows, unless that round trip shows a queue (more than a quarter of the minimum RTT,
    /// at least the peer's ACK hold, above it); then the path, not the peer's window, is what limits, and a queue of
    /// a whole minimum RTT ends the doubling.
    /// </summary>
    private void OnPastWindowDelivered(uint roundTrip, uint minRtt)
    {
        if (minRtt != uint.MaxValue && roundTrip > minRtt + Math.Max(minRtt / 4, AckHoldAllowance))
        {
            if (roundTrip > (2 * minRtt) + AckHoldAllowance)
            {
                _reachGrowsFast = false;
            }

            return;
        }

        if (_reachGrowsFast)
        {
            _windowReach = Math.Min(_windowReach + 1, ushort.MaxValue);
            return;
        }

        if (++_reachCredit >= _windowReach)
        {
            _reachCredit = 0;
            _windowReach = Math.Min(_windowReach + 1, ushort.MaxValue);
        }
    }

    /// <summary>A segment sent past rmt_wnd timed out: maybe the peer dropped it; the reach halves (once per round trip).</summary>
    private void OnPastWindowResent(uint now, uint roundTrip)
    {
        _reachGrowsFast = false;
        if (_reachCut && (int)(now - _reachCutAt) < (int)roundTrip)
        {
            return;
        }

        _reachCut = true;
        _reachCutAt = now;
        _reachCredit = 0;
        _windowReach = Math.Max(Math.Min(_windowReach, (int)_remoteWindow) / 2, 1);
    }
}
