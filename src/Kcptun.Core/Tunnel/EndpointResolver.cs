using System.Net;
using System.Net.Sockets;

namespace Kcptun.Tunnel;

/// <summary>Turns kcptun address strings into endpoints and listening sockets, with errors that name the flag.</summary>
internal static class EndpointResolver
{
    /// <summary>
    /// Resolves <c>host:port</c> for listening: an empty host means every interface (dual-stack IPv6 any where the
    /// machine has IPv6, else IPv4 any).
    /// </summary>
    public static async ValueTask<IPEndPoint> ResolveForListenAsync(string flag, string host, int port, CancellationToken cancellationToken)
    {
        if (host.Length == 0)
        {
            return new IPEndPoint(Socket.OSSupportsIPv6 ? IPAddress.IPv6Any : IPAddress.Any, port);
        }

        return new IPEndPoint(await ResolveHostAsync(flag, host, cancellationToken).ConfigureAwait(false), port);
    }

    /// <summary>Resolves a host for dialing: empty = loopback (as Go dials <c>:port</c>), IPv4 preferred.</summary>
    public static async ValueTask<IPAddress> ResolveHostAsync(string flag, string host, CancellationToken cancellationToken)
    {
        if (host.Length == 0)
        {
            return IPAddress.Loopback;
        }

        if (IPAddress.TryParse(host, out var literal))
        {
            return literal;
        }

        try
        {
            var addresses = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
            return addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
                ?? addresses.FirstOrDefault()
                ?? throw new TunnelConfigurationException($"{flag}: host \"{host}\" has no address");
        }
        catch (SocketException e)
        {
            throw new TunnelConfigurationException($"{flag}: cannot resolve host \"{host}\": {e.Message}", e);
        }
    }

    /// <summary>
    /// Opens the client's local listener: TCP for <c>host:port</c>, a unix socket for anything else (a stale socket
    /// file is replaced). "Address in use" and similar failures name the flag.
    /// </summary>
    public static async ValueTask<Socket> ListenStreamAsync(string flag, string address, CancellationToken cancellationToken)
    {
        EndPoint endPoint;
        if (AddressSyntax.TrySplitHostPort(address, out var host, out var portText))
        {
            var port = portText.Length == 0 ? 0 : int.Parse(portText, System.Globalization.CultureInfo.InvariantCulture);
            endPoint = await ResolveForListenAsync(flag, host, port, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            if (File.Exists(address))
            {
                File.Delete(address);
            }

            endPoint = new UnixDomainSocketEndPoint(address);
        }

        var socket = endPoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint is IPEndPoint { AddressFamily: AddressFamily.InterNetworkV6 } ip && ip.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.Bind(endPoint);
            socket.Listen(512);
            return socket;
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new TunnelConfigurationException($"{flag} {address}: cannot listen: {Describe(e)}", e);
        }
    }

    /// <summary>A socket error in words, saying plainly when a port is already taken.</summary>
    public static string Describe(SocketException e) => e.SocketErrorCode switch
    {
        SocketError.AddressAlreadyInUse => "address already in use (another program is using this port)",
        SocketError.AddressNotAvailable => "address not available on this machine",
        SocketError.AccessDenied => "permission denied",
        _ => e.Message,
    };

    /// <summary>Go's spelling of a socket address: <c>1.2.3.4:5</c>, <c>[::1]:5</c>, a unix path, IPv4-mapped shown as IPv4.</summary>
    public static string Format(EndPoint? endPoint) => endPoint switch
    {
        IPEndPoint ip when ip.Address.IsIPv4MappedToIPv6 => AddressSyntax.JoinHostPort(ip.Address.MapToIPv4().ToString(), ip.Port),
        IPEndPoint ip => AddressSyntax.JoinHostPort(ip.Address.ToString(), ip.Port),
        null => "<nil>",
        _ => endPoint.ToString() ?? "",
    };
}
