namespace Kcptun.Diagnostics;

/// <summary>
/// A point-in-time reading of one KCP session's state for the metrics endpoint: round trip, windows and queue.
/// Times are milliseconds, windows are segments.
/// </summary>
/// <param name="SmoothedRoundTripTime">KCP's smoothed RTT (ms).</param>
/// <param name="RoundTripTimeVariance">KCP's RTT variance (ms).</param>
/// <param name="RetransmissionTimeout">Current retransmission timeout (ms).</param>
/// <param name="SendWindow">Configured send window (segments).</param>
/// <param name="ReceiveWindow">Configured receive window (segments).</param>
/// <param name="RemoteWindow">The window the peer last advertised (segments).</param>
/// <param name="CongestionWindow">Congestion window (segments; unused with no-congestion-control).</param>
/// <param name="WaitingToSend">Segments queued or in flight (snd_queue plus snd_buf, which keeps segments acknowledged
/// out of order until snd_una passes them).</param>
/// <param name="QueuedSegments">Segments accepted and not yet transmitted (snd_queue).</param>
/// <param name="Rate">The rate controller's state under <c>--cc bbr</c>; null under <c>--cc kcp</c>.</param>
/// <param name="FecDataShards">Data shards per FEC group the session sends (0: FEC off).</param>
/// <param name="FecParityShards">Parity datagrams per FEC group the session sends now (adaptive FEC: 0..P).</param>
public readonly record struct SessionMetrics(
    int SmoothedRoundTripTime,
    int RoundTripTimeVariance,
    int RetransmissionTimeout,
    int SendWindow,
    int ReceiveWindow,
    int RemoteWindow,
    int CongestionWindow,
    int WaitingToSend,
    int QueuedSegments = 0,
    RateControlMetrics? Rate = null,
    int FecDataShards = 0,
    int FecParityShards = 0);

/// <summary>
/// A point-in-time reading of a session's BBR rate controller (docs/benchmarks/bbr.md): what it believes about the
/// path and what it lets the session send. Rates are bytes per second of KCP bytes (segment header and payload; the
/// FEC, crypto and UDP overhead comes on top).
/// </summary>
/// <param name="BottleneckBandwidth">Windowed-max delivery rate (bytes/s; 0 before the first sample).</param>
/// <param name="MinRtt">Windowed-min RTT (ms; null before the first sample).</param>
/// <param name="PacingRate">The rate the pacer sends at now (bytes/s).</param>
/// <param name="InflightCap">Most bytes the controller lets be in flight (its congestion window, inflight_hi applied).</param>
/// <param name="BytesInFlight">Bytes transmitted and not yet acknowledged.</param>
/// <param name="Phase">Startup, drain, bandwidth probing or RTT probing.</param>
/// <param name="LossRate">Retransmissions per transmission, smoothed over round trips.</param>
/// <param name="ApplicationLimitedFlushes">Flushes that had nothing to send although the controller and windows allowed more.</param>
/// <param name="WindowLimitedFlushes">Flushes in which snd_wnd or the peer's window held data back.</param>
/// <param name="StartupExit">What ended the last startup (none while the first runs).</param>
/// <param name="StartupRestarts">Times a probe found the pipe not full and startup ran again.</param>
public readonly record struct RateControlMetrics(
    double BottleneckBandwidth,
    uint? MinRtt,
    double PacingRate,
    long InflightCap,
    long BytesInFlight,
    Kcptun.Kcp.Congestion.BbrPhase Phase,
    double LossRate,
    long ApplicationLimitedFlushes,
    long WindowLimitedFlushes,
    Kcptun.Kcp.Congestion.StartupExit StartupExit,
    long StartupRestarts);
