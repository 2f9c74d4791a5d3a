namespace Kcptun.Kcp;

// The receive window under --cc bbr (issue 11): it starts small and follows what the path delivers, within the
// configured rcvwnd as a cap, instead of advertising the cap from the first segment (docs/receive-window.md).
public sealed partial class KcpControlBlock
{
    /// <summary>Where an adaptive receive window starts (segments; Go kcptun's server default).</summary>
    public const int InitialAdaptiveReceiveWindow = 1024;

    /// <summary>
    /// How long the adaptive window must cover at the delivery rate measured. The sender cannot pass snd_una +
    /// window, and snd_una waits at the oldest hole, so under loss the window must span one RTT plus a recovery
    /// (at least another RTT; more when a retransmission is lost too): 1 s covers a 300 ms path with recovery to spare.
    /// </summary>
    public const int AdaptiveReceiveHorizonMilliseconds = 1000;

    private const int RateSampleMilliseconds = 100;

    private uint _receiveWindowCap;     // 0: the window is fixed (kcp-go); else the most it may grow to
    private uint _rateSampleStart;      // when the current delivery-rate sample began
    private int _rateSampleSegments;    // new segments stored since then
    private bool _rateSampling;

    /// <summary>
    /// Let the receive window follow the path (set after <see cref="SetWindowSize"/>, before data arrives): the
    /// configured receive window becomes a cap, the window starts at min(cap, <see cref="InitialAdaptiveReceiveWindow"/>)
    /// and grows, up to the cap, to cover <see cref="AdaptiveReceiveHorizonMilliseconds"/> of the delivery rate
    /// measured over 100 ms samples, while the application keeps up (at most a quarter of the window waits unread).
    /// A window-limited sender delivers window / RTT, so the window keeps growing while it limits a path whose RTT
    /// plus recovery is under 1 s and stops at what the path carries. It never shrinks: a compliant sender may already have
    /// sent up to the edge it was told. An application that stops reading stops the growth (the unread queue fills
    /// the window and the advertised window closes, as in kcp-go), so what a session holds is bounded by
    /// min(cap, path rate x 1 s).
    /// </summary>
    public bool AdaptiveReceiveWindow
    {
        get => _receiveWindowCap != 0;
        set
        {
            if (value == AdaptiveReceiveWindow)
            {
                return;
            }

            if (value)
            {
                _receiveWindowCap = _receiveWindow;
                _receiveWindow = Math.Min(_receiveWindowCap, InitialAdaptiveReceiveWindow);
                if (_receiveBufferCount == 0 && _receiveSlots.Length > _receiveWindow)
                {
                    // Nothing stored yet: the out-of-order ring starts at the window's size too and grows with it.
                    _receiveSlots = new KcpSegment[(int)System.Numerics.BitOperations.RoundUpToPowerOf2(Math.Max(_receiveWindow, 32))];
                }
            }
            else
            {
                _receiveWindow = _receiveWindowCap;
                _receiveWindowCap = 0;
            }

            _pool.Limit = PoolLimit();
        }
    }

    /// <summary>The most the receive window may grow to (the configured window when not adaptive).</summary>
    public int ReceiveWindowCap => (int)(_receiveWindowCap != 0 ? _receiveWindowCap : _receiveWindow);

    /// <summary>After a new data segment was stored at <paramref name="now"/>: grows the adaptive window with the delivery rate.</summary>
    private void TrackReceiveWindowUse(uint now)
    {
        if (_receiveWindowCap == 0)
        {
            return;
        }

        if (!_rateSampling)
        {
            _rateSampling = true;
            _rateSampleStart = now;
            _rateSampleSegments = 0;
        }

        _rateSampleSegments++;
        var elapsed = (int)(now - _rateSampleStart);
        if (elapsed < RateSampleMilliseconds)
        {
            return;
        }

        var wanted = (long)_rateSampleSegments * AdaptiveReceiveHorizonMilliseconds / elapsed;
        _rateSampleStart = now;
        _rateSampleSegments = 0;
        if (wanted <= _receiveWindow || _receiveWindow >= _receiveWindowCap || _receiveQueue.Count > _receiveWindow / 4)
        {
            return;   // enough already, at the cap, or the application is behind: that is flow control, not the path
        }

        _receiveWindow = (uint)Math.Min(_receiveWindowCap, wanted);
        if (_receiveWindow > _receiveSlots.Length)
        {
            GrowReceiveSlots();
        }

        _pool.Limit = PoolLimit();
    }
}
