using System.Net;
using Kcptun.Crypto;
using Kcptun.Diagnostics;
using Kcptun.Kcp;

namespace Kcptun.Transport;

/// <summary>
/// Per-session settings of a <see cref="KcpSession"/> and of the sessions a <see cref="KcpListener"/> accepts
/// (docs/protocol/kcp.md §7.2). Defaults are the Debian kcptun client defaults with the <c>fast</c> mode.
/// </summary>
public sealed record KcpSessionOptions
{
    /// <summary>Datagrams larger than this never exist on a kcptun link (kcp-go's <c>mtuLimit</c>).</summary>
    public const int MaxDatagramSize = 1500;

    /// <summary>KCP nodelay (0 or 1; non-zero selects a 30 ms minimum RTO). Negative: KCP default.</summary>
    public int NoDelay { get; init; }

    /// <summary>KCP internal update interval in milliseconds (KCP clamps it to [10, 5000]). Negative: KCP default.</summary>
    public int Interval { get; init; } = 30;

    /// <summary>Fast-retransmit threshold (duplicate ACK count; 0 = off). Negative: KCP default.</summary>
    public int Resend { get; init; } = 2;

    /// <summary>1 disables KCP congestion control (kcptun's <c>nc</c>). Negative: KCP default.</summary>
    public int NoCongestionControl { get; init; } = 1;

    /// <summary>
    /// <see cref="NoDelay"/>, <see cref="Interval"/>, <see cref="Resend"/> and <see cref="NoCongestionControl"/> as
    /// the control block takes them; a negative value keeps KCP's default for that one.
    /// </summary>
    public KcpFlushOptions KcpFlushOptions => new()
    {
        NoDelay = NoDelay > 0,
        Interval = Interval < 0 ? KcpControlBlock.DefaultInterval : Interval,
        FastResend = Math.Max(Resend, 0),
        UseCongestionWindow = NoCongestionControl <= 0,
    };

    /// <summary>KCP send window in segments (<c>--sndwnd</c>; client 128, server 1024).</summary>
    public int SendWindow { get; init; } = 128;

    /// <summary>KCP receive window in segments (<c>--rcvwnd</c>; client 512, server 1024).</summary>
    public int ReceiveWindow { get; init; } = 512;

    /// <summary>
    /// Largest UDP payload in bytes (<c>--mtu</c>). As in Debian kcp-go, values above 1500 are ignored (KCP keeps
    /// its default of 1400) and values KCP rejects (below 50) are ignored too.
    /// </summary>
    public int Mtu { get; init; } = 1350;

    /// <summary>Flush ACKs right after every input instead of at the next update (<c>--acknodelay</c>).</summary>
    public bool AckNoDelay { get; init; }

    /// <summary>KCP stream mode (kcptun: always on).</summary>
    public bool StreamMode { get; init; } = true;

    /// <summary>DSCP value (<c>--dscp</c>): IPv4 IP_TOS = dscp &lt;&lt; 2, IPv6 IPV6_TCLASS = dscp. 0: untouched.</summary>
    public int Dscp { get; init; }

    /// <summary>SO_RCVBUF and SO_SNDBUF of the UDP socket in bytes (<c>--sockbuf</c>); 0 keeps the OS default.</summary>
    public int SocketBuffer { get; init; } = 4 * 1024 * 1024;

    /// <summary>FEC data shards (<c>--datashard</c>). FEC is on when both shard counts are positive and sum to at most 256.</summary>
    public int DataShards { get; init; } = 10;

    /// <summary>FEC parity shards (<c>--parityshard</c>).</summary>
    public int ParityShards { get; init; } = 3;

    /// <summary>
    /// Outgoing pacing in bytes per second per session (<c>--ratelimit</c>, docs/protocol/kcp.md §6.14): a token bucket
    /// with a burst of 64 full-size datagrams; datagrams over the budget wait in a bounded queue. 0: unpaced.
    /// </summary>
    public int RateLimit { get; init; }

    /// <summary>
    /// How the session's KCP decides what to send (<c>--cc</c>): <see cref="Kcp.Congestion.CongestionControl.Kcp"/>
    /// (the default here, kcp-go's behaviour) or <see cref="Kcp.Congestion.CongestionControl.Bbr"/> (paced at the
    /// measured path rate; the windows become caps). The tunnel defaults to bbr.
    /// </summary>
    public Kcp.Congestion.CongestionControl CongestionControl { get; init; }

    /// <summary>
    /// The session's clock: KCP timestamps and flush timing, FEC group ages and the pacing token bucket
    /// (<see cref="RateLimit"/>). Tests inject a fake one, with a <see cref="Scheduler"/> on the same clock.
    /// </summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// Where the sessions (and a listener) attach their <see cref="SnmpCounters"/> while open, for the sums SIGUSR1,
    /// --snmplog and /metrics print; default <see cref="SnmpTotals.Shared"/>. Tests pass their own to see one run's totals.
    /// </summary>
    public SnmpTotals Totals { get; init; } = SnmpTotals.Shared;

    /// <summary>
    /// What drives the sessions' periodic flush; null: <see cref="KcpScheduler.Shared"/>, the process-wide thread on the
    /// system clock. Tests pass a scheduler they step by hand on their fake <see cref="TimeProvider"/>.
    /// </summary>
    internal KcpScheduler? Scheduler { get; init; }

    /// <summary>
    /// Creates the packet protection (cipher, nonce and CRC) of one session; called once per session and once per
    /// listener. Default: <c>none</c> (nonce and CRC, no encryption). Derive the key once outside the factory.
    /// </summary>
    public Func<PacketProtection> ProtectionFactory { get; init; } = CreateNoneProtection;

    /// <summary>
    /// Move datagrams with recvmmsg/sendmmsg where the platform has them (64-bit Linux). False forces the portable
    /// one-datagram-per-call path everywhere (tests of that path, and measurements).
    /// </summary>
    internal bool BatchIO { get; init; } = true;

    /// <summary>
    /// Carry the datagrams as fake TCP (kcptun's <c>--tcp</c>, Go's tcpraw; Linux, needs CAP_NET_RAW and
    /// CAP_NET_ADMIN): <see cref="KcpSession.ConnectAsync"/> makes a kernel TCP connection and sends raw segments on
    /// it, <see cref="KcpListener.Start(IPEndPoint, KcpSessionOptions)"/> listens on TCP instead of UDP. Default false.
    /// </summary>
    public bool FakeTcp { get; init; }

    /// <summary>Receives warnings the transport logs instead of throwing (socket option failures, send errors).</summary>
    public Action<string>? Log { get; init; }

    /// <summary>
    /// Under <see cref="Kcp.Congestion.CongestionControl.Bbr"/> with FEC on: emit per group only as many of the
    /// <see cref="ParityShards"/> parity datagrams as the measured loss calls for (0..P; docs/fec-adaptive.md). The
    /// group layout stays D + P seqids, so every receiver decodes as before. False (the default here): always P, as
    /// kcp-go. The tunnel turns it on under bbr unless <c>--datashard</c>/<c>--parityshard</c> were given.
    /// </summary>
    public bool AdaptiveFec { get; init; }

    /// <summary>Parity per group an adaptive sender starts with (null: <see cref="ParityShards"/>); tests.</summary>
    internal int? AdaptiveFecInitialParity { get; init; }

    /// <summary>
    /// Under <see cref="Kcp.Congestion.CongestionControl.Bbr"/>: <see cref="ReceiveWindow"/> is a cap; the window the
    /// session advertises starts at min(cap, 1024) segments and doubles while the peer fills it and the application
    /// keeps up (<see cref="Kcp.KcpControlBlock.AdaptiveReceiveWindow"/>, docs/receive-window.md). False (the default
    /// here): the fixed window kcp-go advertises. The tunnel turns it on under bbr.
    /// </summary>
    public bool AdaptiveReceiveWindow { get; init; }

    /// <summary>
    /// Under <see cref="Kcp.Congestion.CongestionControl.Bbr"/>: a sparse sender's last datagram of data goes out twice
    /// (<see cref="Kcp.KcpControlBlock.RepeatTailData"/>). False (the default here): kcp-go's one copy. The tunnel
    /// turns it on under bbr.
    /// </summary>
    public bool RepeatTailData { get; init; }

    /// <summary>True when FEC encoding is on for these settings (docs/protocol/fec.md §5.1; Debian disables D + P &gt; 256).</summary>
    public bool FecEnabled => IsFecEnabled(DataShards, ParityShards);

    /// <summary>The one rule for whether FEC is on with these shard counts (the programs' validation and metrics use it too).</summary>
    public static bool IsFecEnabled(int dataShards, int parityShards) => dataShards > 0 && parityShards > 0 && dataShards + parityShards <= 256;

    /// <summary>Throws <see cref="ArgumentException"/> for settings no session can run with.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(SendWindow, 1, nameof(SendWindow));
        ArgumentOutOfRangeException.ThrowIfLessThan(ReceiveWindow, 1, nameof(ReceiveWindow));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ReceiveWindow, ushort.MaxValue, nameof(ReceiveWindow));
        ArgumentOutOfRangeException.ThrowIfNegative(DataShards, nameof(DataShards));
        ArgumentOutOfRangeException.ThrowIfNegative(ParityShards, nameof(ParityShards));
        ArgumentOutOfRangeException.ThrowIfNegative(SocketBuffer, nameof(SocketBuffer));
        ArgumentOutOfRangeException.ThrowIfNegative(Dscp, nameof(Dscp));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Dscp, 255, nameof(Dscp));
        ArgumentOutOfRangeException.ThrowIfNegative(RateLimit, nameof(RateLimit));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        ArgumentNullException.ThrowIfNull(ProtectionFactory, nameof(ProtectionFactory));
    }

    private static PacketProtection CreateNoneProtection() => PacketProtection.Create("none", new byte[32], WireGeneration.Debian);
}
