using Kcptun.Tunnel;

namespace Kcptun.Cli.Configuration;

/// <summary>
/// Everything <c>kcptun-client</c> can be told (docs/protocol/cli.md §4 and 6.1). Defaults are Debian 20210922's except
/// <see cref="SmuxVersion"/> (2, like latest upstream).
/// </summary>
public sealed record ClientOptions : TunnelOptions
{
    /// <summary>
    /// <c>--localaddr</c>, <c>-l</c>: where to accept local connections (default <c>:12948</c>): TCP <c>host:port</c>,
    /// or a unix socket path when the value is not <c>host:port</c> (as latest upstream).
    /// </summary>
    public string LocalAddress { get; init; } = ":12948";

    /// <summary>
    /// <c>--remoteaddr</c>, <c>-r</c>: the kcptun server, <c>host:port</c> or <c>host:minport-maxport</c> (a random port
    /// of the range per session, as latest upstream). Default <c>vps:29900</c>.
    /// </summary>
    public string RemoteAddress { get; init; } = "vps:29900";

    /// <summary>
    /// Most sessions <c>--conn</c> accepts: each one has its own UDP socket, so there cannot be more than ports (Go
    /// takes any number and fails later; ours allocated the table at once and ran out of memory on 2147483647).
    /// </summary>
    public const int MaximumConnections = 65535;

    /// <summary><c>--conn</c>: number of KCP sessions to the server; streams are spread round-robin (default 1).</summary>
    public int Connections { get; init; } = 1;

    /// <summary><c>--autoexpire</c>: seconds after which a session takes no new streams, 0 = never (default 0).</summary>
    public int AutoExpire { get; init; }

    /// <summary><c>--scavengettl</c>: seconds an expired session may keep serving its streams (default 600).</summary>
    public int ScavengeTtl { get; init; } = 600;

    /// <summary><c>--nocomp</c>: do not wrap the session in snappy framing (default false: compressed).</summary>
    public bool NoCompression { get; init; }

    /// <summary>
    /// <c>--smuxver</c>: smux protocol version, 1 or 2. Default <b>2</b> (like latest upstream; Debian's client
    /// defaults to 1, so pass <c>--smuxver 1</c> against a Debian server started without <c>--smuxver</c>).
    /// </summary>
    public int SmuxVersion { get; init; } = 2;

    /// <inheritdoc />
    protected override void Collect(List<string> problems)
    {
        base.Collect(problems);
        if (AddressSyntax.CheckTcpOrUnix("--localaddr", LocalAddress) is { } local)
        {
            problems.Add(local);
        }

        if (AddressSyntax.TryParseHostPortRange("--remoteaddr", RemoteAddress, allowRange: true, out _) is { } remote)
        {
            problems.Add(remote);
        }

        if (Connections <= 0)
        {
            problems.Add($"--conn must be greater than 0 (got {Connections})");
        }
        else if (Connections > MaximumConnections)
        {
            problems.Add($"--conn must be at most {MaximumConnections} (got {Connections}; each session needs its own UDP port)");
        }

        if (AutoExpire < 0)
        {
            problems.Add($"--autoexpire must not be negative (got {AutoExpire}; 0 turns expiry off)");
        }

        if (ScavengeTtl < 0)
        {
            problems.Add($"--scavengettl must not be negative (got {ScavengeTtl})");
        }

        if (SmuxVersion is not (1 or 2))
        {
            problems.Add($"--smuxver: unsupported smux version {SmuxVersion}; valid values: 1, 2");
        }
    }
}
