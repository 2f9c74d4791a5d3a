using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Kcptun.Transport;
using static Kcptun.Tests.Transport.TransportTestSupport;

namespace Kcptun.Tests.Transport;

/// <summary>
/// FEC on a lossy path: a relay between a client session and the listener drops every 7th client datagram, so
/// every FEC group of 10 + 3 loses at most 2 and the receiver rebuilds the lost data packets from parity.
/// </summary>
public sealed class FecRecoveryTests
{
    /// <summary>A deterministic UDP relay on loopback: client -> relay -> server, server -> relay -> client.</summary>
    private sealed class LossyRelay : IAsyncDisposable
    {
        private readonly Socket _front = RawPeer();
        private readonly Socket _back = RawPeer();
        private readonly IPEndPoint _server;
        private readonly int _dropEvery;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _forward;
        private readonly Task _backward;
        private EndPoint? _client;

        public LossyRelay(IPEndPoint server, int dropEvery)
        {
            _server = server;
            _dropEvery = dropEvery;
            _forward = ForwardAsync();
            _backward = BackwardAsync();
        }

        public IPEndPoint EndPoint => (IPEndPoint)_front.LocalEndPoint!;

        public int Dropped { get; private set; }

        private async Task ForwardAsync()
        {
            var buffer = new byte[2048];
            int count = 0;
            try
            {
                while (true)
                {
                    SocketReceiveFromResult r = await _front.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
                    Volatile.Write(ref _client, r.RemoteEndPoint);
                    if (++count % _dropEvery == 0)
                    {
                        Dropped++;
                        continue;
                    }

                    await _back.SendToAsync(buffer.AsMemory(0, r.ReceivedBytes), _server, _stop.Token);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        }

        private async Task BackwardAsync()
        {
            var buffer = new byte[2048];
            try
            {
                while (true)
                {
                    SocketReceiveFromResult r = await _back.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
                    if (Volatile.Read(ref _client) is { } client)
                    {
                        await _front.SendToAsync(buffer.AsMemory(0, r.ReceivedBytes), client, _stop.Token);
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _front.Dispose();
            _back.Dispose();
            await Task.WhenAll(_forward, _backward);
            _stop.Dispose();
        }
    }

    [Fact]
    public async Task Lost_data_packets_are_rebuilt_from_parity_and_the_data_arrive_intact()
    {
        CancellationToken ct = TimeoutToken();
        KcpSessionOptions options = Options(dataShards: 10, parityShards: 3);
        await using KcpListener listener = KcpListener.Start(new IPEndPoint(IPAddress.Loopback, 0), options);
        await using var relay = new LossyRelay(LoopbackPort(listener.LocalEndPoint), dropEvery: 7);
        await using KcpSession client = await KcpSession.ConnectAsync(relay.EndPoint, options, ct);

        byte[] data = RandomBytes(512 * 1024, seed: 5);
        Task writer = client.WriteAsync(data, ct).AsTask();
        await using KcpSession server = await listener.AcceptAsync(ct);
        var received = new byte[data.Length];
        await ReadExactlyAsync(server, received, ct);
        await writer;

        Assert.Equal(SHA256.HashData(data), SHA256.HashData(received));
        Assert.True(relay.Dropped > 20, $"only {relay.Dropped} datagrams dropped");
        Assert.True(server.Counters.FecRecovered > 0, "no packet was rebuilt from parity");
        Assert.True(server.Counters.FecParityShards > 0);
        Assert.Equal(0, server.Counters.FecErrs);
    }
}
