namespace Kcptun.Cli.Configuration;

/// <summary>
/// The flag tables of both programs, in help order (latest upstream's order, which contains every Debian flag; the
/// hidden manual-mode flags follow <c>--nocomp</c>). docs/protocol/cli.md §4 to 6.
/// </summary>
internal static class TunnelFlags
{
    /// <summary>Every flag of <c>kcptun-client</c>.</summary>
    public static IReadOnlyList<OptionDefinition<ClientOptions>> Client { get; } = BuildClient();

    /// <summary>Every flag of <c>kcptun-server</c>.</summary>
    public static IReadOnlyList<OptionDefinition<ServerOptions>> Server { get; } = BuildServer();

    private static List<OptionDefinition<ClientOptions>> BuildClient()
    {
        var c = new Common<ClientOptions>();
        return
        [
            OptionDefinition<ClientOptions>.String("localaddr", "l", "local listen address, or path/to/unix_socket", o => o.LocalAddress, (o, v) => o with { LocalAddress = v }),
            OptionDefinition<ClientOptions>.String("remoteaddr", "r", "kcp server address, eg: \"IP:29900\" a for single port, \"IP:minport-maxport\" for port range", o => o.RemoteAddress, (o, v) => o with { RemoteAddress = v }),
            c.Key, c.Crypt, c.Mode, c.CongestionControl, c.Qpp, c.QppCount,
            OptionDefinition<ClientOptions>.Int("conn", null, "set num of UDP connections to server", o => o.Connections, (o, v) => o with { Connections = v }),
            OptionDefinition<ClientOptions>.Int("autoexpire", null, "set auto expiration time(in seconds) for a single UDP connection, 0 to disable", o => o.AutoExpire, (o, v) => o with { AutoExpire = v }),
            OptionDefinition<ClientOptions>.Int("scavengettl", null, "set how long an expired connection can live (in seconds)", o => o.ScavengeTtl, (o, v) => o with { ScavengeTtl = v }),
            c.Mtu, c.RateLimit, c.SendWindow, c.ReceiveWindow, c.DataShards, c.ParityShards, c.Dscp,
            OptionDefinition<ClientOptions>.Bool("nocomp", "disable compression", (o, v) => o with { NoCompression = v }),
            c.AckNoDelay, c.NoDelay, c.Interval, c.Resend, c.NoCongestion,
            c.SocketBuffer,
            OptionDefinition<ClientOptions>.Int("smuxver", null, "specify smux version, available 1,2 (the .NET client defaults to 2 like latest kcptun; use 1 against a Debian server started without --smuxver)", o => o.SmuxVersion, (o, v) => o with { SmuxVersion = v }),
            c.SmuxBuffer, c.FrameSize, c.StreamBuffer, c.KeepAlive, c.CloseWait, c.SnmpLog, c.SnmpPeriod, c.Log, c.Quiet,
            c.Tcp, c.ConfigFile, c.Pprof, c.Metrics,
            OptionDefinition<ClientOptions>.Help(), OptionDefinition<ClientOptions>.Version(),
        ];
    }

    private static List<OptionDefinition<ServerOptions>> BuildServer()
    {
        var c = new Common<ServerOptions>();
        return
        [
            OptionDefinition<ServerOptions>.String("listen", "l", "kcp server listen address, eg: \"IP:29900\" for a single port, \"IP:minport-maxport\" for port range", o => o.Listen, (o, v) => o with { Listen = v }),
            OptionDefinition<ServerOptions>.String("target", "t", "target server address, or path/to/unix_socket", o => o.Target, (o, v) => o with { Target = v }),
            c.Key, c.Crypt, c.Qpp, c.QppCount, c.Mode, c.CongestionControl, c.Mtu, c.RateLimit, c.SendWindow, c.ReceiveWindow, c.DataShards,
            c.ParityShards, c.Dscp,
            OptionDefinition<ServerOptions>.Bool("nocomp", "disable compression; when not given, each session is detected: compressed and uncompressed clients are both served (--nocomp=false: compressed clients only)", (o, v) => o with { NoCompression = v }),
            c.AckNoDelay, c.NoDelay, c.Interval, c.Resend, c.NoCongestion,
            c.SocketBuffer,
            OptionDefinition<ServerOptions>.Int("smuxver", null, "specify smux version, available 1,2; when not given, each session's version is detected and both are served", o => o.SmuxVersion, (o, v) => o with { SmuxVersion = v }, defaultText: "auto"),
            c.SmuxBuffer, c.FrameSize, c.StreamBuffer, c.KeepAlive, c.CloseWait, c.SnmpLog, c.SnmpPeriod, c.Pprof, c.Log,
            c.Quiet, c.Tcp, c.ConfigFile, c.Metrics,
            OptionDefinition<ServerOptions>.Help(), OptionDefinition<ServerOptions>.Version(),
        ];
    }

    /// <summary>The flags both programs share, bound to the derived options type.</summary>
    private sealed class Common<T>
        where T : TunnelOptions
    {
        public OptionDefinition<T> Key { get; } = OptionDefinition<T>.String("key", null, "pre-shared secret between client and server", o => o.Key, (o, v) => Set(o, b => b with { Key = v }), environmentVariable: "KCPTUN_KEY");

        public OptionDefinition<T> Crypt { get; } = OptionDefinition<T>.String("crypt", null, "aes, aes-128, aes-128-gcm, aes-192, salsa20, blowfish, twofish, cast5, 3des, tea, xtea, xor, sm4, none, null", o => o.Crypt, (o, v) => Set(o, b => b with { Crypt = v }));

        public OptionDefinition<T> Mode { get; } = OptionDefinition<T>.String("mode", null, "profiles: " + string.Join(", ", KcpModes.Names), o => o.Mode, (o, v) => Set(o, b => b with { Mode = v }));

        public OptionDefinition<T> CongestionControl { get; } = OptionDefinition<T>.String("cc", null, "congestion control: bbr paces sending at the measured path bandwidth and RTT (sndwnd/rcvwnd become caps, " + TunnelOptions.BbrDefaultWindow + " unless given; nc is ignored for data); kcp is Go kcptun's fixed-window sending with Go's window defaults", o => o.CongestionControl, (o, v) => Set(o, b => b with { CongestionControl = v }));

        public OptionDefinition<T> Qpp { get; } = OptionDefinition<T>.Bool("QPP", "enable Quantum Permutation Pads(QPP)", (o, v) => Set(o, b => b with { Qpp = v }), jsonKey: "qpp");

        public OptionDefinition<T> QppCount { get; } = OptionDefinition<T>.Int("QPPCount", null, "the prime number of pads to use for QPP: The more pads you use, the more secure the encryption. Each pad requires 256 bytes.", o => o.QppCount, (o, v) => Set(o, b => b with { QppCount = v }), jsonKey: "qpp-count");

        public OptionDefinition<T> Mtu { get; } = OptionDefinition<T>.Int("mtu", null, "set maximum transmission unit for UDP packets", o => o.Mtu, (o, v) => Set(o, b => b with { Mtu = v }));

        public OptionDefinition<T> RateLimit { get; } = OptionDefinition<T>.Int("ratelimit", null, "set maximum outgoing speed (in bytes per second) for a single KCP connection, 0 to disable. Also known as packet pacing", o => o.RateLimit, (o, v) => Set(o, b => b with { RateLimit = v }));

        public OptionDefinition<T> SendWindow { get; } = OptionDefinition<T>.Int("sndwnd", null, "set send window size(num of packets)", o => o.SendWindow, (o, v) => Set(o, b => b with { SendWindow = v, SendWindowGiven = true }));

        public OptionDefinition<T> ReceiveWindow { get; } = OptionDefinition<T>.Int("rcvwnd", null, "set receive window size(num of packets)", o => o.ReceiveWindow, (o, v) => Set(o, b => b with { ReceiveWindow = v, ReceiveWindowGiven = true }));

        public OptionDefinition<T> DataShards { get; } = OptionDefinition<T>.Int("datashard", "ds", "set reed-solomon erasure coding - datashard", o => o.DataShards, (o, v) => Set(o, b => b with { DataShards = v, FecShardsGiven = true }));

        public OptionDefinition<T> ParityShards { get; } = OptionDefinition<T>.Int("parityshard", "ps", "set reed-solomon erasure coding - parityshard", o => o.ParityShards, (o, v) => Set(o, b => b with { ParityShards = v, FecShardsGiven = true }));

        public OptionDefinition<T> Dscp { get; } = OptionDefinition<T>.Int("dscp", null, "set DSCP(6bit)", o => o.Dscp, (o, v) => Set(o, b => b with { Dscp = v }));

        public OptionDefinition<T> AckNoDelay { get; } = OptionDefinition<T>.Bool("acknodelay", "flush ack immediately when a packet is received", (o, v) => Set(o, b => b with { AckNoDelay = v }), hidden: true);

        public OptionDefinition<T> NoDelay { get; } = OptionDefinition<T>.Int("nodelay", null, "KCP nodelay (manual mode)", o => o.NoDelay, (o, v) => Set(o, b => b with { NoDelay = v }), hidden: true);

        public OptionDefinition<T> Interval { get; } = OptionDefinition<T>.Int("interval", null, "KCP update interval in ms (manual mode)", o => o.Interval, (o, v) => Set(o, b => b with { Interval = v }), hidden: true);

        public OptionDefinition<T> Resend { get; } = OptionDefinition<T>.Int("resend", null, "KCP fast resend (manual mode)", o => o.Resend, (o, v) => Set(o, b => b with { Resend = v }), hidden: true);

        public OptionDefinition<T> NoCongestion { get; } = OptionDefinition<T>.Int("nc", null, "1 disables KCP congestion control (manual mode)", o => o.NoCongestion, (o, v) => Set(o, b => b with { NoCongestion = v }), hidden: true);

        public OptionDefinition<T> SocketBuffer { get; } = OptionDefinition<T>.Int("sockbuf", null, "per-socket buffer in bytes", o => o.SocketBuffer, (o, v) => Set(o, b => b with { SocketBuffer = v }));

        public OptionDefinition<T> SmuxBuffer { get; } = OptionDefinition<T>.Int("smuxbuf", null, "the overall de-mux buffer in bytes", o => o.SmuxBuffer, (o, v) => Set(o, b => b with { SmuxBuffer = v }));

        public OptionDefinition<T> FrameSize { get; } = OptionDefinition<T>.Int("framesize", null, "smux max frame size", o => o.FrameSize, (o, v) => Set(o, b => b with { FrameSize = v }));

        public OptionDefinition<T> StreamBuffer { get; } = OptionDefinition<T>.Int("streambuf", null, "per stream receive buffer in bytes, smux v2+", o => o.StreamBuffer, (o, v) => Set(o, b => b with { StreamBuffer = v }));

        public OptionDefinition<T> KeepAlive { get; } = OptionDefinition<T>.Int("keepalive", null, "seconds between heartbeats", o => o.KeepAlive, (o, v) => Set(o, b => b with { KeepAlive = v }));

        public OptionDefinition<T> CloseWait { get; } = OptionDefinition<T>.Int("closewait", null, "the seconds to wait before tearing down a connection", o => o.CloseWait, (o, v) => Set(o, b => b with { CloseWait = v }));

        public OptionDefinition<T> SnmpLog { get; } = OptionDefinition<T>.String("snmplog", null, "collect snmp to file, aware of timeformat in golang, like: ./snmp-20060102.log", o => o.SnmpLog, (o, v) => Set(o, b => b with { SnmpLog = v }));

        public OptionDefinition<T> SnmpPeriod { get; } = OptionDefinition<T>.Int("snmpperiod", null, "snmp collect period, in seconds", o => o.SnmpPeriod, (o, v) => Set(o, b => b with { SnmpPeriod = v }));

        public OptionDefinition<T> Log { get; } = OptionDefinition<T>.String("log", null, "specify a log file to output, default goes to stderr", o => o.Log, (o, v) => Set(o, b => b with { Log = v }));

        public OptionDefinition<T> Quiet { get; } = OptionDefinition<T>.Bool("quiet", "to suppress the 'stream open/close' messages", (o, v) => Set(o, b => b with { Quiet = v }));

        public OptionDefinition<T> Tcp { get; } = OptionDefinition<T>.Bool("tcp", "to emulate a TCP connection(linux)", (o, v) => Set(o, b => b with { Tcp = v }));

        public OptionDefinition<T> ConfigFile { get; } = OptionDefinition<T>.String("c", null, "config from json file, which will override the command from shell", o => o.ConfigFile, (o, v) => Set(o, b => b with { ConfigFile = v }), json: false);

        public OptionDefinition<T> Pprof { get; } = OptionDefinition<T>.Bool("pprof", "start profiling server on :6060 (not available in the .NET build: accepted, and the log says so)", (o, v) => Set(o, b => b with { Pprof = v }));

        public OptionDefinition<T> Metrics { get; } = OptionDefinition<T>.String("metrics", null, "serve Prometheus /metrics and /healthz over HTTP on this address, eg: \":9100\" (no host = loopback); exposes no key material (.NET extension)", o => o.Metrics, (o, v) => Set(o, b => b with { Metrics = v }));

        private static T Set(T options, Func<TunnelOptions, TunnelOptions> change) => (T)change(options);
    }
}
