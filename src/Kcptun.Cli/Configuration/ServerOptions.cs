using Kcptun.Tunnel;

namespace Kcptun.Cli.Configuration;

/// <summary>
/// Everything <c>kcptun-server</c> can be told (docs/protocol/cli.md §5 and 6.2). Defaults are Debian 20210922's except
/// that <see cref="SmuxVersion"/> and <see cref="NoCompression"/> default to "detect per session".
/// </summary>
public sealed record ServerOptions : TunnelOptions
{
    /// <summary>Creates the options with the server's defaults (windows 1024/1024).</summary>
    public ServerOptions()
    {
        SendWindow = 1024;
        ReceiveWindow = 1024;
    }

    /// <summary>
    /// <c>--listen</c>, <c>-l</c>: UDP address, <c>host:port</c> or <c>host:minport-maxport</c> (one listener per port,
    /// as latest upstream). Default <c>:29900</c>.
    /// </summary>
    public string Listen { get; init; } = ":29900";

    /// <summary>
    /// <c>--target</c>, <c>-t</c>: where each stream is connected, TCP <c>host:port</c>, or a unix socket path when the
    /// value is not <c>host:port</c>. Default <c>127.0.0.1:12948</c>.
    /// </summary>
    public string Target { get; init; } = "127.0.0.1:12948";

    /// <summary>
    /// <c>--nocomp</c>: null (the default, flag not given) = detect per session from its first bytes whether the
    /// client compresses (a snappy stream identifier <c>ff 06 00 00 73 4e 61 50 70 59</c>, or a raw smux frame);
    /// true = only uncompressed clients; false (<c>--nocomp=false</c>) = only compressed clients.
    /// </summary>
    public bool? NoCompression { get; init; }

    /// <summary>
    /// <c>--smuxver</c>: null (the default) = accept smux v1 and v2, detected per session from the version byte of the
    /// first frame; 1 or 2 = only that version.
    /// </summary>
    public int? SmuxVersion { get; init; }

    /// <inheritdoc />
    protected override void Collect(List<string> problems)
    {
        base.Collect(problems);
        if (AddressSyntax.TryParseHostPortRange("--listen", Listen, allowRange: true, out _) is { } listen)
        {
            problems.Add(listen);
        }

        if (AddressSyntax.CheckTcpOrUnix("--target", Target) is { } target)
        {
            problems.Add(target);
        }

        if (SmuxVersion is { } version && version is not (1 or 2))
        {
            problems.Add($"--smuxver: unsupported smux version {version}; valid values: 1, 2");
        }
    }
}
