using System.Globalization;

namespace Kcptun.Tunnel;

/// <summary>A host with a port or a range of ports (latest's <c>IP:minport-maxport</c>, docs/protocol/generations.md §11.3).</summary>
/// <param name="Host">Host name or IP literal without brackets; empty means all interfaces (listen) or localhost (dial).</param>
/// <param name="MinPort">First port.</param>
/// <param name="MaxPort">Last port (equal to <paramref name="MinPort"/> for a single port).</param>
public readonly record struct HostPortRange(string Host, int MinPort, int MaxPort)
{
    /// <summary>Number of ports in the range.</summary>
    public int Count => MaxPort - MinPort + 1;

    /// <summary>The <c>host:port</c> text of one port of the range, IPv6 literals in brackets.</summary>
    public string Format(int port) => AddressSyntax.JoinHostPort(Host, port);
}

/// <summary>
/// Address syntax as kcptun uses it: Go's <c>net.SplitHostPort</c> decides between a <c>host:port</c> and a unix
/// socket path (where kcptun allows one), ports are decimal 0..65535.
/// </summary>
public static class AddressSyntax
{
    /// <summary>Go <c>net.SplitHostPort</c>: <c>host:port</c>, <c>[v6]:port</c>, <c>:port</c>.</summary>
    public static bool TrySplitHostPort(string value, out string host, out string port)
    {
        ArgumentNullException.ThrowIfNull(value);
        host = "";
        port = "";
        var colon = value.LastIndexOf(':');
        if (colon < 0)
        {
            return false;
        }

        if (value.StartsWith('['))
        {
            var close = value.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 != colon)
            {
                return false;
            }

            host = value[1..close];
            if (host.Contains('[', StringComparison.Ordinal) || host.Contains(']', StringComparison.Ordinal))
            {
                return false;
            }
        }
        else
        {
            host = value[..colon];
            if (host.Contains(':', StringComparison.Ordinal) || host.Contains('[', StringComparison.Ordinal) || host.Contains(']', StringComparison.Ordinal))
            {
                return false;
            }
        }

        port = value[(colon + 1)..];
        return true;
    }

    /// <summary><c>host:port</c> with IPv6 literals bracketed.</summary>
    public static string JoinHostPort(string host, int port)
    {
        ArgumentNullException.ThrowIfNull(host);
        var text = port.ToString(CultureInfo.InvariantCulture);
        return host.Contains(':', StringComparison.Ordinal) ? $"[{host}]:{text}" : $"{host}:{text}";
    }

    /// <summary><c>host:port</c> with IPv6 literals bracketed.</summary>
    public static string JoinHostPort(string host, string port)
    {
        ArgumentNullException.ThrowIfNull(host);
        return host.Contains(':', StringComparison.Ordinal) ? $"[{host}]:{port}" : $"{host}:{port}";
    }

    /// <summary>Whether a value is a unix socket path by kcptun's rule (it is not <c>host:port</c>).</summary>
    public static bool IsUnixSocketPath(string value) => !TrySplitHostPort(value, out _, out _);

    /// <summary>
    /// Checks a value that may be <c>host:port</c> (TCP) or, when it is not of that shape, a unix socket path.
    /// Returns the problem naming <paramref name="flag"/>, or null.
    /// </summary>
    public static string? CheckTcpOrUnix(string flag, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length == 0)
        {
            return $"{flag}: empty address; expected host:port or a unix socket path";
        }

        if (!TrySplitHostPort(value, out _, out var port))
        {
            return null;
        }

        return TryParsePort(port, out _) ? null : $"{flag} {value}: invalid port \"{port}\" (expected 0..65535)";
    }

    /// <summary>
    /// Parses <c>host:port</c> or, when <paramref name="allowRange"/>, <c>host:min-max</c>. Returns the problem naming
    /// <paramref name="flag"/>, or null and the address.
    /// </summary>
    public static string? TryParseHostPortRange(string flag, string value, bool allowRange, out HostPortRange address)
    {
        ArgumentNullException.ThrowIfNull(value);
        address = default;
        if (!TrySplitHostPort(value, out var host, out var portText))
        {
            return $"{flag} {value}: invalid address; expected host:port{(allowRange ? " or host:minport-maxport" : "")}";
        }

        var dash = allowRange ? portText.IndexOf('-', StringComparison.Ordinal) : -1;
        if (dash < 0)
        {
            if (!TryParsePort(portText, out var port))
            {
                return $"{flag} {value}: invalid port \"{portText}\" (expected 0..65535)";
            }

            address = new HostPortRange(host, port, port);
            return null;
        }

        var minText = portText[..dash];
        var maxText = portText[(dash + 1)..];
        if (!TryParsePort(minText, out var min) || !TryParsePort(maxText, out var max) || min == 0 || min > max)
        {
            return $"{flag} {value}: invalid port range \"{portText}\" (expected minport-maxport, 1..65535, min <= max)";
        }

        address = new HostPortRange(host, min, max);
        return null;
    }

    private static bool TryParsePort(string text, out int port)
    {
        port = 0;
        if (text.Length == 0)
        {
            return true; // Go resolves an empty port to 0 (any free port).
        }

        return text.Length <= 5 && text.All(char.IsAsciiDigit)
            && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port <= 65535;
    }
}
