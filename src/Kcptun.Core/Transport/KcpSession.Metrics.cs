using Kcptun.Diagnostics;

namespace Kcptun.Transport;

public sealed partial class KcpSession
{
    /// <summary>Reads the KCP state the metrics endpoint shows (RTT, windows, queue), under the session lock.</summary>
    public SessionMetrics ReadMetrics()
    {
        lock (_gate)
        {
            return new SessionMetrics(
                _kcp.SmoothedRoundTripTime,
                _kcp.RoundTripTimeVariance,
                _kcp.RetransmissionTimeout,
                _kcp.SendWindow,
                _kcp.ReceiveWindow,
                _kcp.RemoteWindow,
                _kcp.CongestionWindow,
                _kcp.WaitingToSend);
        }
    }
}
