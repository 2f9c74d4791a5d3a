using System.Net;
using System.Net.Sockets;
using Kcptun.Diagnostics;
using Kcptun.Transport;
using static Kcptun.Tests.Transport.TransportTestSupport;

namespace Kcptun.Tests.Transport;

public sealed class CloseSemanticsTests
{
    private static async Task<(KcpListener Listener, KcpSession Client, KcpSession Server)> PairAsync(CancellationToken ct)
    {
        KcpListener listener = KcpListener.Start(new IPEndPoint(IPAddress.Loopback, 0), Options());
        KcpSession client = await KcpSession.ConnectAsync(LoopbackPort(listener.LocalEndPoint), Options(), ct);
        await client.WriteAsync("x"u8.ToArray(), ct);
        KcpSession server = await listener.AcceptAsync(ct);
        var one = new byte[1];
        await ReadExactlyAsync(server, one, ct);
        return (listener, client, server);
    }

    [Fact]
    public async Task Pending_read_returns_zero_when_the_session_is_disposed()
    {
        CancellationToken ct = TimeoutToken();
        var (listener, client, server) = await PairAsync(ct);
        await using (listener)
        {
            Task<int> pending = server.ReadAsync(new byte[10], ct).AsTask();
            Assert.False(pending.IsCompleted);
            await server.DisposeAsync();
            Assert.Equal(0, await pending);
            Assert.Equal(0, await server.ReadAsync(new byte[10], ct));
            Assert.True(server.IsClosed);
            Assert.Equal(0, listener.SessionCount);
            await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task Write_after_dispose_throws_and_counters_show_the_session_gone()
    {
        CancellationToken ct = TimeoutToken();
        var (listener, client, server) = await PairAsync(ct);
        await using (listener)
        {
            Assert.Equal(1, client.Counters.CurrEstab);
            Assert.Equal(1, client.Counters.MaxConn);
            await client.DisposeAsync();
            Assert.Equal(0, client.Counters.CurrEstab);
            await Assert.ThrowsAsync<ObjectDisposedException>(async () => await client.WriteAsync("y"u8.ToArray(), ct));
            Assert.Equal(0, await client.ReadAsync(new byte[1], ct));

            // Closing an accepted session frees its address in the listener.
            Assert.Equal(1, listener.SessionCount);
            await server.DisposeAsync();
            Assert.Equal(0, listener.SessionCount);
        }
    }

    [Fact]
    public async Task Data_written_just_before_dispose_still_reaches_the_peer()
    {
        CancellationToken ct = TimeoutToken();
        var (listener, client, server) = await PairAsync(ct);
        await using (listener)
        await using (server)
        {
            byte[] last = RandomBytes(5000, seed: 3);
            await client.WriteAsync(last, ct);
            await client.DisposeAsync();
            var received = new byte[last.Length];
            await ReadExactlyAsync(server, received, ct);
            Assert.Equal(last, received);
        }
    }

    [Fact]
    public async Task Disposing_the_listener_closes_its_sessions_and_accept()
    {
        CancellationToken ct = TimeoutToken();
        var (listener, client, server) = await PairAsync(ct);
        Task<KcpSession> accept = listener.AcceptAsync(ct).AsTask();
        Task<int> read = server.ReadAsync(new byte[4], ct).AsTask();
        await listener.DisposeAsync();
        Assert.Equal(0, await read);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => accept);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await listener.AcceptAsync(ct));
        await client.DisposeAsync();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Write_waits_while_the_send_window_is_full()
    {
        // A peer that never acknowledges: after SendWindow full segments the next write must wait.
        CancellationToken ct = TimeoutToken();
        using Socket silent = RawPeer();
        KcpSessionOptions options = Options() with { SendWindow = 4 };
        await using KcpSession client = await KcpSession.ConnectAsync(silent.LocalEndPoint!, options, ct);
        var segment = new byte[1000];
        for (int i = 0; i < 4; i++)
        {
            await client.WriteAsync(segment, ct);
        }

        using var shortWait = CancellationTokenSource.CreateLinkedTokenSource(ct);
        shortWait.CancelAfter(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await client.WriteAsync(segment, shortWait.Token));
        Assert.Equal(4 * 1000, client.Counters.BytesSent);
    }

    [Fact]
    public async Task Global_counters_include_session_events()
    {
        CancellationToken ct = TimeoutToken();
        long activeBefore = Volatile.Read(ref SnmpCounters.Global.ActiveOpens);
        long passiveBefore = Volatile.Read(ref SnmpCounters.Global.PassiveOpens);
        var (listener, client, server) = await PairAsync(ct);
        await using (listener)
        await using (client)
        await using (server)
        {
            Assert.True(Volatile.Read(ref SnmpCounters.Global.ActiveOpens) > activeBefore);
            Assert.True(Volatile.Read(ref SnmpCounters.Global.PassiveOpens) > passiveBefore);
            Assert.True(Volatile.Read(ref SnmpCounters.Global.MaxConn) >= 2);
        }
    }
}
