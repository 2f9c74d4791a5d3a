namespace Kcptun.Diagnostics;

#pragma warning disable CA1051 // A public field so Interlocked can be used on it, as in SnmpCounters.

/// <summary>Process-wide gauges and counters the SNMP set lacks: tunnelled smux streams open now (both programs),
/// streams and sessions the server refused.</summary>
public sealed class TunnelGauges
{
    /// <summary>The process-wide instance, next to <see cref="SnmpTotals.Shared"/>.</summary>
    public static TunnelGauges Global { get; } = new();

    /// <summary>smux streams open now (a stream counts from "stream opened" to "stream closed").</summary>
    public long OpenStreams;

    /// <summary>Streams the server refused because their session already had
    /// <see cref="Kcptun.Tunnel.TunnelServer.MaxStreamsPerSession"/> open (a SYN flood, or a client far past any normal load).</summary>
    public long RefusedStreams;

    /// <summary>Datagrams that would have opened a new KCP session and were dropped because the server already held
    /// <see cref="Kcptun.Transport.KcpListener.MaxSessions"/> sessions or its accept backlog was full (a client retrying
    /// counts once per try).</summary>
    public long RefusedSessions;
}
