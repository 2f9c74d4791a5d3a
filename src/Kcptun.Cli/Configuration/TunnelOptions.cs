using Kcptun.Transport;
using Kcptun.Tunnel;

namespace Kcptun.Cli.Configuration;

/// <summary>
/// Settings shared by <see cref="ClientOptions"/> and <see cref="ServerOptions"/>: one property per kcptun flag
/// (docs/protocol/cli.md §4 to 6). Defaults are Debian 20210922's unless a property says otherwise. Values are stored as
/// configured; <see cref="Kcp"/> gives the KCP parameters after the <see cref="Mode"/> profile is applied.
/// </summary>
public abstract record TunnelOptions
{
    /// <summary>The built-in default of <c>--key</c> (sic, kcptun's spelling).</summary>
    public const string DefaultKey = "it's a secrect";

    /// <summary>
    /// Longest period or wait in seconds that <c>--snmpperiod</c> and <c>--closewait</c> accept: .NET timers stop at
    /// 2^32-2 ms (about 49.7 days). Go takes any value; nobody waits longer than that for either.
    /// </summary>
    public const int MaximumTimerSeconds = 4294967;

    /// <summary>Most pads <c>--QPPCount</c> accepts (16 MiB of pads each way; kcptun's default is 61).</summary>
    public const int MaximumQppCount = 65535;

    /// <summary><c>--key</c>: pre-shared secret (default <c>it's a secrect</c>, or <c>KCPTUN_KEY</c>).</summary>
    public string Key { get; init; } = DefaultKey;

    /// <summary><c>--crypt</c>: packet cipher (default <c>aes</c>); see <see cref="CryptNames"/>.</summary>
    public string Crypt { get; init; } = "aes";

    /// <summary><c>--mode</c>: KCP profile (default <c>fast</c>); see <see cref="KcpModes"/>.</summary>
    public string Mode { get; init; } = "fast";

    /// <summary><c>--mtu</c>: largest UDP payload in bytes (default 1350).</summary>
    public int Mtu { get; init; } = 1350;

    /// <summary><c>--sndwnd</c>: KCP send window in segments (client 128, server 1024).</summary>
    public int SendWindow { get; init; } = 128;

    /// <summary><c>--rcvwnd</c>: KCP receive window in segments (client 512, server 1024).</summary>
    public int ReceiveWindow { get; init; } = 512;

    /// <summary><c>--datashard</c>, <c>--ds</c>: Reed-Solomon data shards (default 10; 0 turns FEC off).</summary>
    public int DataShards { get; init; } = 10;

    /// <summary><c>--parityshard</c>, <c>--ps</c>: Reed-Solomon parity shards (default 3; 0 turns FEC off).</summary>
    public int ParityShards { get; init; } = 3;

    /// <summary><c>--dscp</c>: DSCP code point (6 bits) for outgoing datagrams (default 0).</summary>
    public int Dscp { get; init; }

    /// <summary>Hidden <c>--acknodelay</c>: flush ACKs right after each input (default false).</summary>
    public bool AckNoDelay { get; init; }

    /// <summary>Hidden <c>--nodelay</c>: used by <c>--mode manual</c> only (default 0).</summary>
    public int NoDelay { get; init; }

    /// <summary>Hidden <c>--interval</c>: used by <c>--mode manual</c> only, in ms (default 50).</summary>
    public int Interval { get; init; } = 50;

    /// <summary>Hidden <c>--resend</c>: used by <c>--mode manual</c> only (default 0).</summary>
    public int Resend { get; init; }

    /// <summary>
    /// <c>--cc</c> (not in Go kcptun): <c>bbr</c> (default) paces what this side sends at the measured path rate
    /// (PROTOCOL.md unchanged on the wire; <c>--sndwnd</c>/<c>--rcvwnd</c> become caps and <c>--nc</c> no longer
    /// matters for data); <c>kcp</c> is Go kcptun's behaviour bit for bit (fixed windows, blast with nc 1).
    /// </summary>
    public string CongestionControl { get; init; } = "bbr";

    /// <summary>
    /// The send and receive windows (segments) under <c>--cc bbr</c> when <c>--sndwnd</c>/<c>--rcvwnd</c> are not
    /// given: 32768 x ~1.3 KB = 42 MB in flight, 1 Gbit/s x 340 ms. They are only caps: the controller keeps in
    /// flight near 2 x the measured BDP and the session queues at most about that much more (KcpSession), so memory
    /// follows the path; a receiver holds at most this many segments when its application stops reading.
    /// </summary>
    public const int BbrDefaultWindow = 32768;

    /// <summary>True when <c>--sndwnd</c> was given (flag or JSON).</summary>
    public bool SendWindowGiven { get; init; }

    /// <summary>True when <c>--rcvwnd</c> was given (flag or JSON).</summary>
    public bool ReceiveWindowGiven { get; init; }

    /// <summary>True when <c>--datashard</c> or <c>--parityshard</c> was given (flag or JSON): FEC stays fixed.</summary>
    public bool FecShardsGiven { get; init; }

    /// <summary>
    /// Whether senders pick their parity per group from the measured loss (0..P, docs/fec-adaptive.md): under bbr
    /// with FEC on, unless the shard counts were given explicitly (an explicit choice is honoured as fixed FEC).
    /// </summary>
    public bool AdaptiveFec =>
        CongestionControlKind == Kcptun.Kcp.Congestion.CongestionControl.Bbr && Kcptun.Transport.KcpSessionOptions.IsFecEnabled(DataShards, ParityShards) && !FecShardsGiven;

    /// <summary>The send window the sessions use: <see cref="SendWindow"/>, or <see cref="BbrDefaultWindow"/> under bbr when not given.</summary>
    public int EffectiveSendWindow =>
        CongestionControlKind == Kcptun.Kcp.Congestion.CongestionControl.Bbr && !SendWindowGiven ? BbrDefaultWindow : SendWindow;

    /// <summary>The receive window the sessions use: <see cref="ReceiveWindow"/>, or <see cref="BbrDefaultWindow"/> under bbr when not given.</summary>
    public int EffectiveReceiveWindow =>
        CongestionControlKind == Kcptun.Kcp.Congestion.CongestionControl.Bbr && !ReceiveWindowGiven ? BbrDefaultWindow : ReceiveWindow;

    /// <summary>The parsed <see cref="CongestionControl"/> (call after <see cref="Validate"/>).</summary>
    public Kcptun.Kcp.Congestion.CongestionControl CongestionControlKind =>
        string.Equals(CongestionControl, "kcp", StringComparison.OrdinalIgnoreCase)
            ? Kcptun.Kcp.Congestion.CongestionControl.Kcp
            : Kcptun.Kcp.Congestion.CongestionControl.Bbr;

    /// <summary>Hidden <c>--nc</c>: used by <c>--mode manual</c> only; 1 = no congestion control (default 0).</summary>
    public int NoCongestion { get; init; }

    /// <summary><c>--sockbuf</c>: UDP socket send and receive buffer in bytes (default 4194304).</summary>
    public int SocketBuffer { get; init; } = 4194304;

    /// <summary><c>--smuxbuf</c>: smux session receive buffer in bytes (default 4194304).</summary>
    public int SmuxBuffer { get; init; } = 4194304;

    /// <summary><c>--streambuf</c>: smux v2 per-stream receive window in bytes (default 2097152).</summary>
    public int StreamBuffer { get; init; } = 2097152;

    /// <summary>
    /// <c>--framesize</c> (latest): largest smux frame payload. Default 32768, smux's own default that Debian kcptun
    /// uses (latest defaults to 8192; frame sizes are not part of the wire contract).
    /// </summary>
    public int FrameSize { get; init; } = 32768;

    /// <summary><c>--keepalive</c>: seconds between smux NOPs, 1..30 (default 10).</summary>
    public int KeepAlive { get; init; } = 10;

    /// <summary><c>--snmplog</c>: CSV counter log path, file name formatted as a Go time layout (default empty = off).</summary>
    public string SnmpLog { get; init; } = "";

    /// <summary><c>--snmpperiod</c>: seconds between <see cref="SnmpLog"/> records (default 60; 0 = off).</summary>
    public int SnmpPeriod { get; init; } = 60;

    /// <summary><c>--log</c>: append the log to this file instead of stderr (default empty).</summary>
    public string Log { get; init; } = "";

    /// <summary><c>--quiet</c>: suppress the "stream opened/closed" lines (default false).</summary>
    public bool Quiet { get; init; }

    /// <summary><c>--tcp</c>: carry the datagrams as fake TCP (Go's tcpraw; Linux, root), see docs/protocol/programs.md.</summary>
    public bool Tcp { get; init; }

    /// <summary><c>--QPP</c> (latest): Quantum Permutation Pad obfuscation of stream payload (default false).</summary>
    public bool Qpp { get; init; }

    /// <summary><c>--QPPCount</c> (latest): number of pads, should be prime (default 61).</summary>
    public int QppCount { get; init; } = 61;

    /// <summary><c>--ratelimit</c> (latest): outgoing bytes per second per KCP session, 0 = unlimited (default 0).</summary>
    public int RateLimit { get; init; }

    /// <summary>
    /// <c>--closewait</c> (latest): seconds each direction of a tunnelled connection waits, after its source ended,
    /// before half-closing its destination (FIN on the stream, shutdown of the socket's write side), as kcptun 20260314
    /// does. Default 0 on both sides: the end of a request reaches the target at once (20260314's server defaults to
    /// 30, which holds the target's end-of-stream back by 30 s; f788cbb's 30 held the whole teardown).
    /// </summary>
    public int CloseWait { get; init; }

    /// <summary>
    /// <c>--pprof</c>: Go's profiler on :6060. The .NET build has no pprof: the flag is accepted and the log says so.
    /// </summary>
    public bool Pprof { get; init; }

    /// <summary>
    /// <c>--metrics</c> (.NET extension): serve <c>/metrics</c> (Prometheus text) and <c>/healthz</c> over HTTP on this
    /// address (default empty = off; <c>:9100</c> binds loopback). It exposes counters and addresses, never key material.
    /// </summary>
    public string Metrics { get; init; } = "";

    /// <summary><c>-c</c>: the JSON file that was overlaid (kept for the log; empty when none).</summary>
    public string ConfigFile { get; init; } = "";

    /// <summary>The KCP parameters after the mode profile (docs/protocol/kcp.md §7.1): a named mode wins over the hidden flags.</summary>
    public KcpTuning Kcp => KcpModes.Preset(Mode) ?? new KcpTuning(NoDelay, Interval, Resend, NoCongestion);

    /// <summary>
    /// Checks every setting and throws <see cref="TunnelConfigurationException"/> listing each problem, one a line,
    /// each naming its flag. Returns normally when the options can be run.
    /// </summary>
    public void Validate()
    {
        var problems = new List<string>();
        Collect(problems);
        if (problems.Count > 0)
        {
            throw new TunnelConfigurationException(problems);
        }
    }

    /// <summary>Adds a line per problem; derived records add their own after the shared ones.</summary>
    protected virtual void Collect(List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        if (Tcp && !OperatingSystem.IsLinux())
        {
            problems.Add("--tcp (fake TCP over raw sockets) works on Linux only");
        }

        if (!CryptNames.IsKnown(Crypt))
        {
            problems.Add($"--crypt: unknown cipher \"{Crypt}\"; valid values: {string.Join(", ", CryptNames.All)}");
        }

        if (!KcpModes.IsKnown(Mode))
        {
            problems.Add($"--mode: unknown mode \"{Mode}\"; valid values: {string.Join(", ", KcpModes.Names)}");
        }

        if (!string.Equals(CongestionControl, "bbr", StringComparison.OrdinalIgnoreCase)
            && !string.Equals(CongestionControl, "kcp", StringComparison.OrdinalIgnoreCase))
        {
            problems.Add($"--cc: unknown congestion control \"{CongestionControl}\"; valid values: bbr, kcp");
        }

        CheckMtu(problems);
        if (SendWindow is <= 0 or > 65535)
        {
            problems.Add($"--sndwnd must be between 1 and 65535 (got {SendWindow})");
        }

        if (ReceiveWindow is <= 0 or > 65535)
        {
            problems.Add($"--rcvwnd must be between 1 and 65535 (got {ReceiveWindow})");
        }

        if (DataShards < 0 || ParityShards < 0)
        {
            problems.Add($"--datashard and --parityshard must not be negative (got {DataShards}/{ParityShards}; 0 turns FEC off)");
        }
        else if (DataShards + ParityShards > 256)
        {
            problems.Add($"--datashard + --parityshard must be at most 256 (got {DataShards}+{ParityShards})");
        }

        if (Dscp is < 0 or > 63)
        {
            problems.Add($"--dscp must be between 0 and 63 (got {Dscp})");
        }

        if (SocketBuffer <= 0)
        {
            problems.Add($"--sockbuf must be greater than 0 (got {SocketBuffer})");
        }

        if (SmuxBuffer <= 0)
        {
            problems.Add($"--smuxbuf must be greater than 0 (got {SmuxBuffer})");
        }

        if (StreamBuffer <= 0)
        {
            problems.Add($"--streambuf must be greater than 0 (got {StreamBuffer})");
        }
        else if (SmuxBuffer > 0 && StreamBuffer > SmuxBuffer)
        {
            problems.Add($"--streambuf ({StreamBuffer}) must not be larger than --smuxbuf ({SmuxBuffer})");
        }

        if (FrameSize is <= 0 or > 65535)
        {
            problems.Add($"--framesize must be between 1 and 65535 (got {FrameSize})");
        }

        // smux closes a session after 30 s without any frame; the NOP interval must fit inside that.
        if (KeepAlive is <= 0 or > 30)
        {
            problems.Add($"--keepalive must be between 1 and 30 seconds (got {KeepAlive}); smux's keep-alive timeout is 30 s");
        }

        if (SnmpPeriod < 0)
        {
            problems.Add($"--snmpperiod must not be negative (got {SnmpPeriod}; 0 turns the CSV log off)");
        }
        else if (SnmpPeriod > MaximumTimerSeconds)
        {
            problems.Add($"--snmpperiod must be at most {MaximumTimerSeconds} seconds, about 49 days (got {SnmpPeriod})");
        }

        if (Qpp && QppCount <= 0)
        {
            problems.Add($"--QPPCount must be greater than 0 when QPP is enabled (got {QppCount})");
        }
        else if (Qpp && QppCount > MaximumQppCount)
        {
            problems.Add($"--QPPCount must be at most {MaximumQppCount} (got {QppCount}; each pad takes 512 bytes and start-up time)");
        }

        if (Metrics.Length > 0 && MetricsEndpoint.Check(Metrics) is { } metricsProblem)
        {
            problems.Add(metricsProblem);
        }

        if (CloseWait < 0)
        {
            problems.Add($"--closewait must not be negative (got {CloseWait})");
        }
        else if (CloseWait > MaximumTimerSeconds)
        {
            problems.Add($"--closewait must be at most {MaximumTimerSeconds} seconds, about 49 days (got {CloseWait})");
        }
    }

    private void CheckMtu(List<string> problems)
    {
        if (Mtu > 1500)
        {
            problems.Add($"--mtu must be at most 1500 (got {Mtu})");
            return;
        }

        // The datagram must leave room for the protection header/trailer, the FEC header, a KCP header and 1 byte.
        var (header, trailer) = CryptNames.Overhead(Crypt);
        var fec = KcpSessionOptions.IsFecEnabled(DataShards, ParityShards);
        var minimum = header + trailer + (fec ? 8 : 0) + 24 + 1;
        minimum = Math.Max(minimum, 50);
        if (Mtu < minimum)
        {
            problems.Add($"--mtu must be at least {minimum} with --crypt {Crypt} and FEC {(fec ? "on" : "off")} (got {Mtu})");
        }
    }
}
