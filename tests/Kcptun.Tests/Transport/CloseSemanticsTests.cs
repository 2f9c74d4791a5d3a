using Kcptun.Diagnostics;
using Kcptun.Tests.Transport.Link;
using Kcptun.Transport;
using static Kcptun.Tests.Transport.TransportTestSupport;

namespace Kcptun.Tests.Transport;

/// <summary>How sessions and listeners close, through the async stream API, over the in-memory link.</summary>
public sealed class CloseSemanticsTests
{
    private readonly InMemoryNetwork _network = new();

    private async Task<(KcpListener Listener, KcpSession Client, KcpSession Server)> PairAsync()
    {
        KcpListener listener = _network.Listen(Options());
        KcpSession client = _network.Connect(listener.LocalEndPoint, Options());
        await client.WriteAsync("x"u8.ToArray());
        _network.Settle();
        KcpSession server = AcceptNow(listener);
        Assert.Equal(1, server.TryReceive(new byte[1]));
        return (listener, client, server);
    }

    [Fact]
    public async Task Pending_read_returns_zero_when_the_session_is_disposed()
    {
        var (listener, client, server) = await PairAsync();
        await using (listener)
        {
            Task<int> pending = server.ReadAsync(new byte[10]).AsTask();
            await _network.RunForAsync(TimeSpan.FromMilliseconds(100));
            Assert.False(pending.IsCompleted);
            await server.DisposeAsync();
            Assert.Equal(0, await pending.WaitAsync(TransportTestSupport.Timeout));
            Assert.Equal(0, await server.ReadAsync(new byte[10]));
            Assert.True(server.IsClosed);
            Assert.Equal(0, listener.SessionCount);
            await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task Write_after_dispose_throws_and_counters_show_the_session_gone()
    {
        var (listener, client, server) = await PairAsync();
        await using (listener)
        {
            Assert.Equal(1, client.Counters.CurrEstab);
            Assert.Equal(1, client.Counters.MaxConn);
            await client.DisposeAsync();
            Assert.Equal(0, client.Counters.CurrEstab);
            await Assert.ThrowsAsync<ObjectDisposedException>(async () => await client.WriteAsync("y"u8.ToArray()));
            Assert.Equal(0, await client.ReadAsync(new byte[1]));

            // Closing an accepted session frees its address in the listener.
            Assert.Equal(1, listener.SessionCount);
            await server.DisposeAsync();
            Assert.Equal(0, listener.SessionCount);
        }
    }

    [Fact]
    public async Task Data_written_just_before_dispose_still_reaches_the_peer()
    {
        var (listener, client, server) = await PairAsync();
        await using (listener)
        await using (server)
        {
            byte[] last = RandomBytes(5000, seed: 3);
            await client.WriteAsync(last);
            await client.DisposeAsync();
            var received = new byte[last.Length];
            await _network.RunUntilAsync(ReadExactlyAsync(server, received, CancellationToken.None));
            Assert.Equal(last, received);
        }
    }

    [Fact]
    public async Task Data_lost_after_the_final_flush_is_not_resent()
    {
        // KCP has no close segment: what the final flush sent is all the peer ever gets of it (kcp-go does the same).
        var (listener, client, server) = await PairAsync();
        await using (listener)
        await using (server)
        {
            _network.Drop = d => d.From.Equals(client.LocalEndPoint);
            await client.WriteAsync(RandomBytes(5000, seed: 3));
            await client.DisposeAsync();
            _network.Drop = null;
            await _network.RunForAsync(TimeSpan.FromSeconds(2));
            Assert.Equal(-1, server.TryReceive(new byte[10]));
            Assert.True(_network.Dropped > 0);
        }
    }

    [Fact]
    public async Task Disposing_the_listener_closes_its_sessions_and_accept()
    {
        var (listener, client, server) = await PairAsync();
        Task<KcpSession> accept = listener.AcceptAsync().AsTask();
        Task<int> read = server.ReadAsync(new byte[4]).AsTask();
        await listener.DisposeAsync();
        Assert.Equal(0, await read.WaitAsync(TransportTestSupport.Timeout));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => accept.WaitAsync(TransportTestSupport.Timeout));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await listener.AcceptAsync());
        await client.DisposeAsync();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Write_waits_while_the_send_window_is_full_and_goes_on_when_acknowledged()
    {
        // A peer that does not acknowledge: after SendWindow full segments the next write waits.
        var silent = new RawPeer(_network);
        KcpSessionOptions options = Options() with { SendWindow = 4 };
        await using KcpSession client = _network.Connect(silent.EndPoint, options);
        var segment = new byte[1000];
        for (int i = 0; i < 4; i++)
        {
            await client.WriteAsync(segment);
        }

        using var cancel = new CancellationTokenSource();
        Task waiting = client.WriteAsync(segment, cancel.Token).AsTask();
        await _network.RunForAsync(TimeSpan.FromSeconds(1));
        Assert.False(waiting.IsCompleted);
        Assert.Equal(4 * 1000, client.Counters.BytesSent);
        Assert.True(client.Counters.RetransSegs > 0);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TransportTestSupport.Timeout));
    }

    [Fact]
    public async Task Totals_count_session_events_and_keep_them_after_close()
    {
        var totals = new SnmpTotals();
        KcpListener listener = _network.Listen(Options() with { Totals = totals });
        KcpSession client = _network.Connect(listener.LocalEndPoint, Options() with { Totals = totals });
        await client.WriteAsync("x"u8.ToArray());
        _network.Settle();
        KcpSession server = AcceptNow(listener);
        await using (listener)
        {
            await using (client)
            await using (server)
            {
                SnmpCounters open = totals.Sum();
                Assert.Equal(1, open.ActiveOpens);
                Assert.Equal(1, open.PassiveOpens);
                Assert.Equal(2, open.CurrEstab);
                Assert.Equal(2, open.MaxConn);
            }

            SnmpCounters closed = totals.Sum();
            Assert.Equal(1, closed.ActiveOpens);
            Assert.Equal(0, closed.CurrEstab);
            Assert.Equal(2, closed.MaxConn);
            Assert.Equal(1, totals.LiveCount); // the listener
        }

        Assert.Equal(0, totals.LiveCount);
    }

    [Fact]
    public async Task Closed_sessions_hold_no_segment_buffers()
    {
        var (listener, client, server) = await PairAsync();
        await using (listener)
        {
            byte[] data = RandomBytes(200_000, seed: 9);
            await client.WriteAsync(data);
            var echo = new byte[data.Length];
            await _network.RunUntilAsync(ReadExactlyAsync(server, echo, CancellationToken.None));

            // After a transfer both control blocks keep pooled buffers (and possibly unacknowledged segments).
            Assert.True(client.HeldSegmentBuffers > 0);
            Assert.True(server.HeldSegmentBuffers > 0);

            await client.DisposeAsync();
            server.Dispose();

            Assert.Equal(0, client.HeldSegmentBuffers);
            Assert.Equal(0, server.HeldSegmentBuffers);
            Assert.Equal(0, await server.ReadAsync(new byte[16]));
        }
    }
}
