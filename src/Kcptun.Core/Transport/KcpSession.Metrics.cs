using Kcptun.Diagnostics;

namespace Kcptun.Transport;

public sealed partial class KcpSession
{
    /// <summary>Reads the KCP state the metrics endpoint shows (RTT, windows, queue, rate controller), under the session lock.</summary>
    public SessionMetrics ReadMetrics()
    {
        lock (_gate)
        {
            var bbr = _kcp.RateController;
            RateControlMetrics? rate = bbr is null ? null : new RateControlMetrics(
                bbr.BottleneckBandwidth * 1000,
                bbr.MinRtt == uint.MaxValue ? null : bbr.MinRtt,
                bbr.PacingRate * 1000,
                Math.Min(bbr.CongestionWindow, bbr.InflightHigh),
                _kcp.BytesInFlight,
                bbr.Phase,
                bbr.LossRate,
                _kcp.ApplicationLimitedFlushes,
                _kcp.WindowLimitedFlushes,
                bbr.StartupExit,
                bbr.StartupRestarts);
            return new SessionMetrics(
                _kcp.SmoothedRoundTripTime,
                _kcp.RoundTripTimeVariance,
                _kcp.RetransmissionTimeout,
                _kcp.SendWindow,
                _kcp.ReceiveWindow,
                _kcp.RemoteWindow,
                _kcp.CongestionWindow,
                _kcp.WaitingToSend,
                _kcp.QueuedSegments,
                rate,
                _pipeline.SendDataShards ?? 0,
                _pipeline.SendParityShards ?? 0);
        }
    }
}
