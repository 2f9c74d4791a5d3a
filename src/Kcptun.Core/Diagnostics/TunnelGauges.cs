namespace Kcptun.Diagnostics;

#pragma warning disable CA1051 // A public field so Interlocked can be used on it, as in SnmpCounters.

/// <summary>Process-wide gauges the SNMP set lacks: tunnelled smux streams currently open (both programs).</summary>
public sealed class TunnelGauges
{
    /// <summary>The process-wide instance, next to <see cref="SnmpTotals.Shared"/>.</summary>
    public static TunnelGauges Global { get; } = new();

    /// <summary>smux streams open now (a stream counts from "stream opened" to "stream closed").</summary>
    public long OpenStreams;

    /// <summary>Streams the server refused because their session already had
    /// <see cref="Kcptun.Tunnel.TunnelServer.MaxStreamsPerSession"/> open (a SYN flood, or a client far past any normal load).</summary>
    public long RefusedStreams;
}
