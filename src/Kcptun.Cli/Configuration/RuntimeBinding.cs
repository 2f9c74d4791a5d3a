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

    /// <summary>The server addresses of <c>--remoteaddr</c>, parsed once for the run.</summary>
    /// <exception cref="TunnelConfigurationException">The address is invalid (validation reports the same).</exception>
    public static HostPortRange Remote(ClientOptions options) => Range("--remoteaddr", options.RemoteAddress);

    /// <summary>The UDP ports of <c>--listen</c>, parsed once for the run.</summary>
    /// <exception cref="TunnelConfigurationException">The address is invalid (validation reports the same).</exception>
    public static HostPortRange Listen(ServerOptions options) => Range("--listen", options.Listen);

    private static HostPortRange Range(string flag, string value) =>
        AddressSyntax.TryParseHostPortRange(flag, value, allowRange: true, out var range) is { } problem
            ? throw new TunnelConfigurationException(problem)
            : range;

    private static QuantumPermutationPad? Pads(TunnelOptions options) =>
        options.Qpp ? QuantumPermutationPad.Create(options.Key, options.QppCount) : null;
}
