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
/// <param name="WaitingToSend">Segments queued or in flight.</param>
public readonly record struct SessionMetrics(
    int SmoothedRoundTripTime,
    int RoundTripTimeVariance,
    int RetransmissionTimeout,
    int SendWindow,
    int ReceiveWindow,
    int RemoteWindow,
    int CongestionWindow,
    int WaitingToSend);
