namespace Kcptun.Kcp;

/// <summary>
/// The retransmission and flush knobs of a <see cref="KcpControlBlock"/> (kcp-go's NoDelay(nodelay, interval,
/// resend, nc), docs/protocol/kcp.md §7.2), applied together through <see cref="KcpControlBlock.FlushOptions"/>. Change one
/// with <c>block.FlushOptions = block.FlushOptions with { Interval = 20 }</c>. The defaults are kcp-go's.
/// </summary>
public sealed record KcpFlushOptions
{
    /// <summary>kcp-go's defaults: nodelay off, 100 ms interval, no fast retransmit, congestion window on.</summary>
    public static KcpFlushOptions Default { get; } = new();

    /// <summary>A 30 ms minimum RTO (else 100 ms) and half-RTO back-off instead of doubling (Go nodelay = 1).</summary>
    public bool NoDelay { get; init; }

    /// <summary>Flush period in milliseconds; applied clamped to [10, 5000] as kcp-go does.</summary>
    public int Interval { get; init; } = KcpControlBlock.DefaultInterval;

    /// <summary>Fast retransmit after this many ACKs that skip a segment; 0 turns it off (Go resend).</summary>
    public int FastResend { get; init; }

    /// <summary>Whether the congestion window limits sending; false is Go's nc = 1, what every kcptun mode sets.</summary>
    public bool UseCongestionWindow { get; init; } = true;
}
