using Kcptun.Smux;

namespace Kcptun.Cli.Configuration;

/// <summary>The smux configuration kcptun builds from its flags (docs/protocol/smux.md §8.9).</summary>
internal static class SmuxSettings
{
    public static SmuxConfig From(TunnelOptions options, int version) => new()
    {
        Version = version,
        KeepAliveInterval = TimeSpan.FromSeconds(options.KeepAlive),
        MaxFrameSize = options.FrameSize,
        MaxReceiveBuffer = options.SmuxBuffer,
        MaxStreamBuffer = options.StreamBuffer,
    };
}
