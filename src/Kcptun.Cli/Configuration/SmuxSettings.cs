using Kcptun.Smux;

namespace Kcptun.Cli.Configuration;

/// <summary>
/// The smux configuration kcptun builds from its flags (docs/protocol/smux.md §8.9). Under <c>--cc bbr</c> a version 2
/// stream's window may grow from <c>--streambuf</c> up to <c>--smuxbuf</c>, the session's receive budget, while its
/// reader keeps up (docs/receive-window.md); under <c>--cc kcp</c> it stays at <c>--streambuf</c>, as Go's.
/// </summary>
internal static class SmuxSettings
{
    public static SmuxConfig From(TunnelOptions options, int version) => new()
    {
        Version = version,
        KeepAliveInterval = TimeSpan.FromSeconds(options.KeepAlive),
        MaxFrameSize = options.FrameSize,
        MaxReceiveBuffer = options.SmuxBuffer,
        MaxStreamBuffer = options.StreamBuffer,
        StreamWindowLimit = options.CongestionControlKind == Kcptun.Kcp.Congestion.CongestionControl.Bbr ? options.SmuxBuffer : 0,
    };
}
