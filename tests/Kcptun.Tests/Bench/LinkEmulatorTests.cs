using System.Net;
using System.Net.Sockets;
using Kcptun.EndToEnd.Emulation;

namespace Kcptun.Tests.Bench;

public sealed class LinkEmulatorTests : IDisposable
{
    private readonly Socket _server = Udp();
    private readonly Socket _client = Udp();

    public void Dispose()
    {
        _server.Dispose();
        _client.Dispose();
    }

    [Fact]
    public async Task Relays_both_ways_in_order_through_the_front_address()
    {
        using var emulator = LinkEmulator.Start((IPEndPoint)_server.LocalEndPoint!, LinkProfile.Parse("delay=2"),
            LinkProfile.Perfect, 1);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[2048];
        for (byte i = 0; i < 50; i++)
        {
            await _client.SendToAsync(new byte[] { i, 1, 2 }, emulator.FrontEndPoint, cts.Token);
        }

        EndPoint relayedFrom = new IPEndPoint(IPAddress.Any, 0);
        for (byte i = 0; i < 50; i++)
        {
            var got = await _server.ReceiveFromAsync(buffer, SocketFlags.None, relayedFrom, cts.Token);
            Assert.Equal(3, got.ReceivedBytes);
            Assert.Equal(i, buffer[0]);
            relayedFrom = got.RemoteEndPoint;
        }

        // The server answers the relay's upstream address; the client sees it come from the front address.
        await _server.SendToAsync(new byte[] { 9, 9 }, relayedFrom, cts.Token);
        var back = await _client.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cts.Token);
        Assert.Equal(2, back.ReceivedBytes);
        Assert.Equal(emulator.FrontEndPoint, back.RemoteEndPoint);
        Assert.Equal(50, emulator.Up.Delivered);
        Assert.Equal(1, emulator.Down.Delivered);
    }

    [Fact]
    public async Task Total_loss_delivers_nothing_and_counts_every_drop()
    {
        using var emulator = LinkEmulator.Start((IPEndPoint)_server.LocalEndPoint!, LinkProfile.Parse("loss=100"),
            LinkProfile.Perfect, 1);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        for (var i = 0; i < 20; i++)
        {
            await _client.SendToAsync(new byte[] { 1 }, emulator.FrontEndPoint, cts.Token);
        }

        // Lost datagrams are never queued, so once all 20 were decided nothing can still arrive. Wait on the
        // decisions, not on Offered: the relay thread counts the offer before it draws the loss.
        while (emulator.Up.RandomLoss + emulator.Up.Delivered < 20)
        {
            await Task.Yield();
            cts.Token.ThrowIfCancellationRequested();
        }

        Assert.Equal(20, emulator.Up.Offered);
        Assert.Equal(20, emulator.Up.RandomLoss);
        Assert.Equal(0, emulator.Up.Delivered);
        Assert.Equal(0, _server.Available);
    }

    [Fact]
    public void Refuses_to_relay_beyond_loopback()
    {
        Assert.Throws<ArgumentException>(() =>
            LinkEmulator.Start(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 9), LinkProfile.Perfect, LinkProfile.Perfect, 1));
    }

    private static Socket Udp()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }
}
