using Kcptun.Cli.Configuration;

namespace Kcptun.Cli.Hosting;

/// <summary>
/// The configuration lines both programs log at start-up, in Go kcptun's order and wording (docs/protocol/programs.md §10.6), plus
/// latest's additions (QPP, ratelimit, framesize, closewait, pprof) and, on our server, "auto" where a setting is
/// detected per session.
/// </summary>
internal static class StartupLog
{
    public static List<string> Client(ClientOptions o, string listeningOn)
    {
        var k = o.Kcp;
        return
        [
            $"smux version: {o.SmuxVersion}",
            $"listening on: {listeningOn}",
            $"encryption: {o.Crypt}",
            $"QPP: {Go(o.Qpp)}",
            $"QPP Count: {o.QppCount}",
            $"nodelay parameters: {k.NoDelay} {k.Interval} {k.Resend} {k.NoCongestionControl}",
            $"remote address: {o.RemoteAddress}",
            $"sndwnd: {o.SendWindow} rcvwnd: {o.ReceiveWindow}",
            $"compression: {Go(!o.NoCompression)}",
            .. Transport(o),
            $"conn: {o.Connections}",
            $"autoexpire: {o.AutoExpire}",
            $"scavengettl: {o.ScavengeTtl}",
            $"snmplog: {o.SnmpLog}",
            $"snmpperiod: {o.SnmpPeriod}",
            $"pprof: {Go(o.Pprof)}",
            $"quiet: {Go(o.Quiet)}",
            $"tcp: {Go(o.Tcp)}",
        ];
    }

    public static List<string> Server(ServerOptions o)
    {
        var k = o.Kcp;
        return
        [
            $"smux version: {(o.SmuxVersion is { } v ? v.ToString(System.Globalization.CultureInfo.InvariantCulture) : "auto (1 and 2, detected per session)")}",
            $"listening on: {o.Listen}",
            $"target: {o.Target}",
            $"encryption: {o.Crypt}",
            $"QPP: {Go(o.Qpp)}",
            $"QPP Count: {o.QppCount}",
            $"nodelay parameters: {k.NoDelay} {k.Interval} {k.Resend} {k.NoCongestionControl}",
            $"sndwnd: {o.SendWindow} rcvwnd: {o.ReceiveWindow}",
            $"compression: {(o.NoCompression is { } n ? Go(!n) : "auto (detected per session)")}",
            .. Transport(o),
            $"snmplog: {o.SnmpLog}",
            $"snmpperiod: {o.SnmpPeriod}",
            $"pprof: {Go(o.Pprof)}",
            $"quiet: {Go(o.Quiet)}",
            $"tcp: {Go(o.Tcp)}",
        ];
    }

    // mtu .. closewait: the same lines, in the same order, on both sides.
    private static List<string> Transport(TunnelOptions o) =>
    [
        o.CongestionControlKind == Kcptun.Kcp.Congestion.CongestionControl.Bbr
            ? $"cc: {o.CongestionControl} (windows used as caps: sndwnd {o.EffectiveSendWindow} rcvwnd {o.EffectiveReceiveWindow})"
                + (o.AdaptiveFec ? $", fec parity adaptive 0..{o.ParityShards}" : "")
            : $"cc: {o.CongestionControl}",
        $"mtu: {o.Mtu}",
        $"ratelimit: {o.RateLimit}",
        $"datashard: {o.DataShards} parityshard: {o.ParityShards}",
        $"acknodelay: {Go(o.AckNoDelay)}",
        $"dscp: {o.Dscp}",
        $"sockbuf: {o.SocketBuffer}",
        $"smuxbuf: {o.SmuxBuffer}",
        $"framesize: {o.FrameSize}",
        $"streambuf: {o.StreamBuffer}",
        $"keepalive: {o.KeepAlive}",
        $"closewait: {o.CloseWait}",
    ];

    private static string Go(bool value) => value ? "true" : "false";
}
