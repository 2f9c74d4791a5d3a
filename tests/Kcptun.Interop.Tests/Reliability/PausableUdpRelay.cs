using System.Net;
using System.Net.Sockets;

namespace Kcptun.Interop.Tests.Reliability;

/// <summary>
/// A loopback UDP relay in front of a server port that can be paused: while paused every datagram, both ways, is
/// dropped (a network outage). Each client address gets its own socket toward the server, as a NAT gives each flow its
/// own port, so a client with several sessions (one UDP socket each) gets each one's answers. Disposing stops it.
/// </summary>
internal sealed class PausableUdpRelay : IAsyncDisposable
{
    private readonly Socket _front = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly IPEndPoint _server;
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<IPEndPoint, Socket> _flows = [];
    private readonly List<Task> _loops = [];
    private volatile bool _paused;
    private long _dropped;

    public PausableUdpRelay(int serverPort)
    {
        _server = new IPEndPoint(IPAddress.Loopback, serverPort);
        _front.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _loops.Add(ForwardAsync());
    }

    /// <summary>The port clients send to.</summary>
    public int Port => ((IPEndPoint)_front.LocalEndPoint!).Port;

    /// <summary>While true, nothing passes either way.</summary>
    public bool Paused
    {
        get => _paused;
        set => _paused = value;
    }

    /// <summary>Datagrams dropped while paused.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _front.Dispose();
        Task[] loops;
        lock (_flows)
        {
            foreach (var socket in _flows.Values)
            {
                socket.Dispose();
            }

            loops = [.. _loops];
        }

        await Task.WhenAll(loops).ContinueWith(_ => { });
        _stop.Dispose();
    }

    private async Task ForwardAsync()
    {
        var buffer = new byte[65536];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            var received = await _front.ReceiveFromAsync(buffer, any, _stop.Token);
            var client = (IPEndPoint)received.RemoteEndPoint;
            Socket? back;
            lock (_flows)
            {
                if (!_flows.TryGetValue(client, out back))
                {
                    back = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                    back.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                    _flows.Add(client, back);
                    _loops.Add(BackwardAsync(back, client));
                }
            }

            await RelayAsync(back, buffer.AsMemory(0, received.ReceivedBytes), _server);
        }
    }

    private async Task BackwardAsync(Socket back, IPEndPoint client)
    {
        var buffer = new byte[65536];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            var received = await back.ReceiveFromAsync(buffer, any, _stop.Token);
            await RelayAsync(_front, buffer.AsMemory(0, received.ReceivedBytes), client);
        }
    }

    private async ValueTask RelayAsync(Socket via, ReadOnlyMemory<byte> datagram, IPEndPoint to)
    {
        if (_paused)
        {
            Interlocked.Increment(ref _dropped);
            return;
        }

        try
        {
            await via.SendToAsync(datagram, to, _stop.Token);
        }
        catch (SocketException)
        {
            // The far end is not there (yet): UDP drops it, so do we.
        }
    }
}
