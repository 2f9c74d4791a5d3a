using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Kcptun.Interop.Tests.Reliability;

/// <summary>
/// A loopback UDP relay in front of a server port that can be paused: while paused every datagram, both ways, is
/// dropped (a network outage). Each client address gets its own socket toward the server, as a NAT gives each flow its
/// own port, so a client with several sessions (one UDP socket each) gets each one's answers. It can also make the
/// path bad: a one-way <c>delay</c> each way (a FIFO delay line, so order is kept) and a seeded <c>loss</c> rate each
/// way. Disposing stops it.
/// </summary>
internal sealed class PausableUdpRelay : IAsyncDisposable
{
    private readonly Socket _front = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly IPEndPoint _server;
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<IPEndPoint, Socket> _flows = [];
    private readonly List<Task> _loops = [];
    private readonly TimeSpan _delay;
    private readonly double _loss;
    private readonly Random _random;
    private readonly Channel<(long Due, byte[] Data, Socket Via, IPEndPoint To)> _delayLine =
        Channel.CreateUnbounded<(long, byte[], Socket, IPEndPoint)>(new UnboundedChannelOptions { SingleReader = true });
    private volatile bool _paused;
    private long _dropped;
    private long _lost;

    public PausableUdpRelay(int serverPort, TimeSpan delay = default, double loss = 0, int seed = 16)
    {
        _server = new IPEndPoint(IPAddress.Loopback, serverPort);
        _delay = delay;
        _loss = loss;
        _random = new Random(seed);
        _front.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _loops.Add(ForwardAsync());
        if (delay > TimeSpan.Zero)
        {
            _loops.Add(DelayLineAsync());
        }
    }

    /// <summary>Datagrams dropped by the loss rate.</summary>
    public long Lost => Interlocked.Read(ref _lost);

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

        if (_loss > 0)
        {
            bool lose;
            lock (_random)
            {
                lose = _random.NextDouble() < _loss;
            }

            if (lose)
            {
                Interlocked.Increment(ref _lost);
                return;
            }
        }

        if (_delay > TimeSpan.Zero)
        {
            _delayLine.Writer.TryWrite((Environment.TickCount64 + (long)_delay.TotalMilliseconds, datagram.ToArray(), via, to));
            return;
        }

        await SendAsync(via, datagram, to);
    }

    private async Task DelayLineAsync()
    {
        await foreach (var (due, data, via, to) in _delayLine.Reader.ReadAllAsync(_stop.Token))
        {
            var wait = due - Environment.TickCount64;
            if (wait > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(wait), _stop.Token);
            }

            await SendAsync(via, data, to);
        }
    }

    private async ValueTask SendAsync(Socket via, ReadOnlyMemory<byte> datagram, IPEndPoint to)
    {
        try
        {
            await via.SendToAsync(datagram, to, _stop.Token);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The far end is not there (yet): UDP drops it, so do we. (Disposed: the relay is stopping.)
        }
    }
}
