using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Kcptun.Tests.Support;

/// <summary>
/// A tunnel's target service on loopback (port 0): accepts until disposed and serves each connection with
/// <see cref="ServeAsync"/>; dispose stops accepting, cancels the connections and awaits every one of them.
/// </summary>
internal abstract class LoopbackTarget : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<Task> _connections = [];
    private Task? _acceptLoop;

    protected LoopbackTarget()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    public string Address => $"127.0.0.1:{Port}";

    /// <summary>Connections accepted so far.</summary>
    public int Accepted => _connections.Count;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.ContinueWith(_ => { });
        }

        await Task.WhenAll(_connections).ContinueWith(_ => { });
        _stop.Dispose();
    }

    /// <summary>Starts accepting; the subclass's constructor calls it last, once its own fields are set.</summary>
    protected void Start() => _acceptLoop = AcceptAsync();

    /// <summary>Serves one connection; <paramref name="stop"/> fires on dispose. Must not throw.</summary>
    protected abstract Task ServeAsync(Socket socket, CancellationToken stop);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            _connections.Add(ServeAsync(socket, _stop.Token));
        }
    }
}
