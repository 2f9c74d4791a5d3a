using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Kcptun.Cli.Hosting;

/// <summary>An HTTP response of the metrics server.</summary>
internal readonly record struct HttpReply(int Status, string ContentType, string Body);

/// <summary>
/// A minimal HTTP/1.1 server for <c>/metrics</c> and <c>/healthz</c> on a <see cref="TcpListener"/> (no ASP.NET, so it
/// works under NativeAOT): one request per connection (<c>Connection: close</c>), GET and HEAD only, the request head
/// limited to 8 KiB and 5 s; anything else gets 400/404/405 and the connection is closed. Connections are served one
/// after another: a scrape is small and this keeps a slow client from holding more than one socket.
/// </summary>
internal sealed class MetricsHttpServer : IAsyncDisposable
{
    private const int MaxHeadBytes = 8192;
    private static readonly TimeSpan s_requestTimeout = TimeSpan.FromSeconds(5);

    private readonly TcpListener _listener;
    private readonly Func<string, HttpReply?> _route;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private MetricsHttpServer(TcpListener listener, Func<string, HttpReply?> route)
    {
        _listener = listener;
        _route = route;
        _loop = AcceptLoopAsync();
    }

    /// <summary>The bound address (port 0 resolved).</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>Binds <paramref name="endPoint"/> and serves <paramref name="route"/> (path to reply, null = 404).</summary>
    /// <exception cref="SocketException">The address cannot be bound.</exception>
    public static MetricsHttpServer Start(IPEndPoint endPoint, Func<string, HttpReply?> route)
    {
        var listener = new TcpListener(endPoint);
        listener.Start();
        return new MetricsHttpServer(listener, route);
    }

    /// <summary>Stops accepting and waits for the connection being served.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stop.IsCancellationRequested)
                {
                    return;
                }

                continue;
            }

            using (connection)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                timeout.CancelAfter(s_requestTimeout);
                try
                {
                    await ServeAsync(connection, timeout.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException or IOException)
                {
                    // A client that hangs up or stalls loses its answer; the server goes on.
                }
            }
        }
    }

    private async Task ServeAsync(Socket connection, CancellationToken cancellationToken)
    {
        var head = new byte[MaxHeadBytes];
        var length = 0;
        int end;
        while ((end = head.AsSpan(0, length).IndexOf("\r\n\r\n"u8)) < 0)
        {
            if (length == head.Length)
            {
                await ReplyAsync(connection, false, new HttpReply(431, "text/plain; charset=utf-8", "request head too large\n"), cancellationToken).ConfigureAwait(false);
                return;
            }

            var read = await connection.ReceiveAsync(head.AsMemory(length), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return;
            }

            length += read;
        }

        var requestLine = Encoding.ASCII.GetString(head.AsSpan(0, head.AsSpan(0, end + 2).IndexOf("\r\n"u8)));
        var parts = requestLine.Split(' ');
        if (parts.Length != 3 || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            await ReplyAsync(connection, false, new HttpReply(400, "text/plain; charset=utf-8", "bad request\n"), cancellationToken).ConfigureAwait(false);
            return;
        }

        var isHead = parts[0] == "HEAD";
        if (parts[0] != "GET" && !isHead)
        {
            await ReplyAsync(connection, false, new HttpReply(405, "text/plain; charset=utf-8", "only GET and HEAD\n"), cancellationToken).ConfigureAwait(false);
            return;
        }

        var path = parts[1];
        var query = path.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0)
        {
            path = path[..query];
        }

        var reply = _route(path) ?? new HttpReply(404, "text/plain; charset=utf-8", "not found: try /metrics or /healthz\n");
        await ReplyAsync(connection, isHead, reply, cancellationToken).ConfigureAwait(false);
    }

    private static async Task ReplyAsync(Socket connection, bool headOnly, HttpReply reply, CancellationToken cancellationToken)
    {
        var body = Encoding.UTF8.GetBytes(reply.Body);
        var head = Encoding.ASCII.GetBytes(
            $"HTTP/1.1 {reply.Status} {Reason(reply.Status)}\r\nContent-Type: {reply.ContentType}\r\nContent-Length: {body.Length}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n");
        await connection.SendAsync(head.AsMemory(), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        if (!headOnly)
        {
            await connection.SendAsync(body.AsMemory(), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }

        connection.Shutdown(SocketShutdown.Send);
    }

    private static string Reason(int status) => status switch
    {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Status",
    };
}
