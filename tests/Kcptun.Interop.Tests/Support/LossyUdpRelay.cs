using System.Net;
using System.Net.Sockets;

namespace Kcptun.Interop.Tests.Support;

/// <summary>
/// A loopback UDP relay between one client and one server that drops client-to-server datagrams with a seeded,
/// per-datagram decision (<see cref="LossOf"/> gets the forward datagram's index). Server-to-client traffic passes
/// untouched. Both loops are owned tasks, awaited on dispose.
/// </summary>
internal sealed class LossyUdpRelay : IAsyncDisposable
{
    private readonly Socket _front = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly Socket _back = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly IPEndPoint _server;
    private readonly Random _random;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _forward;
    private readonly Task _backward;
    private EndPoint? _client;

    /// <param name="serverPort">The loopback UDP port of the server.</param>
    /// <param name="lossOf">Drop probability for forward datagram i.</param>
    /// <param name="seed">Seed of the drop decisions.</param>
    public LossyUdpRelay(int serverPort, Func<long, double> lossOf, int seed)
    {
        _server = new IPEndPoint(IPAddress.Loopback, serverPort);
        LossOf = lossOf;
        _random = new Random(seed);
        _front.ReceiveBufferSize = 8 << 20;
        _back.ReceiveBufferSize = 8 << 20;
        _front.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _back.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _forward = Task.Run(ForwardAsync);
        _backward = Task.Run(BackwardAsync);
    }

    /// <summary>The address clients send to.</summary>
    public IPEndPoint EndPoint => (IPEndPoint)_front.LocalEndPoint!;

    /// <summary>Drop probability of forward datagram i.</summary>
    public Func<long, double> LossOf { get; }

    /// <summary>Client-to-server datagrams seen.</summary>
    public long Forwarded => Interlocked.Read(ref _forwarded);

    /// <summary>Client-to-server datagrams dropped.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    private long _forwarded;
    private long _dropped;

    private Task ForwardAsync() => RelayAsync(_front, result =>
    {
        _client = result.RemoteEndPoint;
        long index = Interlocked.Increment(ref _forwarded) - 1;
        if (_random.NextDouble() < LossOf(index))
        {
            Interlocked.Increment(ref _dropped);
            return null;
        }

        return (_back, _server);
    });

    private Task BackwardAsync() => RelayAsync(_back, _ => _client is { } client ? (_front, client) : null);

    // One direction: receive on `from`, ask `route` where the datagram goes (null: dropped), send it there.
    private async Task RelayAsync(Socket from, Func<SocketReceiveFromResult, (Socket Via, EndPoint To)?> route)
    {
        var buffer = new byte[65536];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        try
        {
            while (true)
            {
                SocketReceiveFromResult result;
                try
                {
                    result = await from.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token);
                }
                catch (SocketException)
                {
                    continue;   // an ICMP error from an earlier send (peer gone): UDP goes on
                }

                if (route(result) is { } next)
                {
                    await SendAsync(next.Via, buffer.AsMemory(0, result.ReceivedBytes), next.To);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private async ValueTask SendAsync(Socket socket, ReadOnlyMemory<byte> datagram, EndPoint to)
    {
        try
        {
            await socket.SendToAsync(datagram, SocketFlags.None, to, _stop.Token);
        }
        catch (SocketException)
        {
            // UDP: a failed send is a lost datagram.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_forward, _backward);
        _front.Dispose();
        _back.Dispose();
        _stop.Dispose();
    }
}
