using System.Net;
using Kcptun.Tunnel;

namespace Kcptun.Cli.Configuration;

/// <summary>
/// The <c>--metrics</c> address: <c>host:port</c> with an IP literal or <c>localhost</c> as host; no host
/// (<c>:9100</c>) means loopback, so the endpoint is only public when an address such as <c>0.0.0.0</c> is given.
/// </summary>
internal static class MetricsEndpoint
{
    /// <summary>Null when <paramref name="value"/> is usable, else the problem, naming the flag.</summary>
    public static string? Check(string value) => TryParse(value, out _, out var problem) ? null : problem;

    /// <summary>Parses <paramref name="value"/>; on failure <paramref name="problem"/> says why.</summary>
    public static bool TryParse(string value, out IPEndPoint endPoint, out string problem)
    {
        endPoint = new IPEndPoint(IPAddress.Loopback, 0);
        problem = "";
        if (!AddressSyntax.TrySplitHostPort(value, out var host, out var portText))
        {
            problem = $"--metrics: \"{value}\" is not host:port (eg: \":9100\" for loopback, \"0.0.0.0:9100\" for every address)";
            return false;
        }

        if (!int.TryParse(portText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            problem = $"--metrics: \"{portText}\" is not a port number (0..65535)";
            return false;
        }

        IPAddress address;
        if (host.Length == 0 || host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            address = IPAddress.Loopback;
        }
        else if (!IPAddress.TryParse(host, out address!))
        {
            problem = $"--metrics: host \"{host}\" must be an IP address or localhost";
            return false;
        }

        endPoint = new IPEndPoint(address, port);
        return true;
    }
}
