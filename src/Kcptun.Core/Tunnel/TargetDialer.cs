using System.Net;
using System.Net.Sockets;

namespace Kcptun.Tunnel;

/// <summary>
/// Connects the server's <c>--target</c>: TCP for <c>host:port</c> (Nagle off, as Go's dialer does), a unix socket
/// for anything else. Errors read like Go's (<c>dial tcp 127.0.0.1:1: connection refused</c>).
/// </summary>
internal sealed class TargetDialer
{
    private readonly string _target;
    private readonly string? _host;
    private readonly int _port;

    public TargetDialer(string target)
    {
        _target = target;
        if (AddressSyntax.TrySplitHostPort(target, out var host, out var port))
        {
            _host = host;
            _port = port.Length == 0 ? 0 : int.Parse(port, System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    /// <summary>Whether the target is a unix socket path.</summary>
    public bool IsUnix => _host is null;

    /// <summary>Opens one connection as a stream that owns its socket.</summary>
    /// <exception cref="IOException">The target cannot be reached; the message is ready to log.</exception>
    public async ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken)
    {
        Socket? socket = null;
        try
        {
            if (_host is null)
            {
                socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(_target), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var address = await EndpointResolver.ResolveHostAsync("--target", _host, cancellationToken).ConfigureAwait(false);
                socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(new IPEndPoint(address, _port), cancellationToken).ConfigureAwait(false);
            }

            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (Exception e) when (e is SocketException or TunnelConfigurationException)
        {
            socket?.Dispose();
            var reason = e is SocketException s ? EndpointResolver.Describe(s) : e.Message;
            throw new IOException($"dial {(IsUnix ? "unix" : "tcp")} {_target}: {reason}", e);
        }
    }
}
