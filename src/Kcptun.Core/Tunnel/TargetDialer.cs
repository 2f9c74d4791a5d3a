using System.Net;
using System.Net.Sockets;

namespace Kcptun.Tunnel;

/// <summary>
/// Connects the server's <c>--target</c>: TCP for <c>host:port</c> (Nagle off, as Go's dialer does), a unix socket
/// for anything else, giving up after <see cref="DefaultTimeout"/> as kcptun 20260314 does (older Go servers wait for
/// the OS, minutes for a silent host). Errors read like Go's (<c>dial tcp 127.0.0.1:1: connection refused</c>,
/// <c>dial tcp 10.0.0.1:80: i/o timeout</c>).
/// </summary>
internal sealed class TargetDialer
{
    /// <summary>kcptun 20260314's target dial timeout (docs/protocol/programs.md §10.4).</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly string _target;
    private readonly string? _host;
    private readonly int _port;
    private readonly TimeSpan _timeout;

    public TargetDialer(string target)
        : this(target, DefaultTimeout)
    {
    }

    public TargetDialer(string target, TimeSpan timeout)
    {
        _target = target;
        _timeout = timeout;
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
        var callerToken = cancellationToken;
        Socket? socket = null;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(callerToken);
        deadline.CancelAfter(_timeout);
        cancellationToken = deadline.Token;
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
        catch (Exception e) when (e is SocketException or TunnelConfigurationException
            || (e is OperationCanceledException && deadline.IsCancellationRequested && !callerToken.IsCancellationRequested))
        {
            socket?.Dispose();
            var reason = e switch
            {
                SocketException s => EndpointResolver.Describe(s),
                OperationCanceledException => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"i/o timeout (no answer within {_timeout.TotalSeconds:0.###} s)"),
                _ => e.Message,
            };
            throw new IOException($"dial {(IsUnix ? "unix" : "tcp")} {_target}: {reason}", e);
        }
        catch
        {
            socket?.Dispose();
            throw;
        }
    }
}
