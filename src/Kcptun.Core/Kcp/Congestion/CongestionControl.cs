namespace Kcptun.Kcp.Congestion;

/// <summary>How a <see cref="KcpControlBlock"/> decides how much data to put on the path (<c>--cc</c>).</summary>
public enum CongestionControl
{
    /// <summary>
    /// kcp-go's behaviour bit for bit: new segments go out as far as min(snd_wnd, rmt_wnd) allows (and KCP's own
    /// loss-based cwnd when nc = 0), all at once on every flush.
    /// </summary>
    Kcp,

    /// <summary>
    /// A BBR-style rate controller (<see cref="BbrController"/>): new segments are paced at gain x the measured
    /// bottleneck bandwidth and in flight is capped near 2 x the measured bandwidth-delay product; the windows
    /// become upper bounds.
    /// </summary>
    Bbr,
}
