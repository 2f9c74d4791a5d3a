using Kcptun.Crypto;
using Kcptun.Tunnel;

namespace Kcptun.Cli.Configuration;

/// <summary>Binds validated options once into the typed settings the tunnel runtime consumes.</summary>
internal static class RuntimeBinding
{
    /// <summary>The client runtime's settings from validated <paramref name="options"/>.</summary>
    public static TunnelClientSettings Client(ClientOptions options) => new()
    {
        Connections = options.Connections,
        AutoExpire = TimeSpan.FromSeconds(Math.Max(options.AutoExpire, 0)),
        ScavengeTtl = TimeSpan.FromSeconds(options.ScavengeTtl),
        Compress = !options.NoCompression,
        Smux = SmuxSettings.From(options, options.SmuxVersion),
        CloseWait = TimeSpan.FromSeconds(options.CloseWait),
        Quiet = options.Quiet,
        Pads = Pads(options),
    };

    /// <summary>The server runtime's settings from validated <paramref name="options"/>.</summary>
    public static TunnelServerSettings Server(ServerOptions options) => new()
    {
        Target = options.Target,
        NoCompression = options.NoCompression,
        SmuxVersion = options.SmuxVersion,
        Smux = SmuxSettings.From(options, options.SmuxVersion ?? 2),
        CloseWait = TimeSpan.FromSeconds(options.CloseWait),
        Quiet = options.Quiet,
        Pads = Pads(options),
    };

    private static QuantumPermutationPad? Pads(TunnelOptions options) =>
        options.Qpp ? QuantumPermutationPad.Create(options.Key, options.QppCount) : null;
}
