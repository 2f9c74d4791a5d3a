using System.Text;
using Kcptun.Smux;
using Kcptun.Tests.Support;

namespace Kcptun.Tests.Smux;

public class SmuxSessionTests
{
    private static readonly TimeSpan Hard = TimeSpan.FromSeconds(10);
    private static readonly SmuxConfig Quiet = new() { KeepAliveDisabled = true };

    [Fact]
    public async Task Stream_ids_are_odd_from_3_for_clients_and_even_from_2_for_servers()
    {
        var (a, b) = DuplexPipeStream.CreatePair();
        await using var client = new SmuxSession(a, Quiet, isClient: true);
        await using var server = new SmuxSession(b, Quiet, isClient: false);
        var clientIds = new List<uint>();
        var serverIds = new List<uint>();
        for (var i = 0; i < 3; i++)
        {
            clientIds.Add((await client.OpenStreamAsync()).Id);
            serverIds.Add((await server.OpenStreamAsync()).Id);
        }

        Assert.Equal(new uint[] { 3, 5, 7 }, clientIds);
        Assert.Equal(new uint[] { 2, 4, 6 }, serverIds);
        await Poll.UntilAsync(() => client.StreamCount == 6, "three opened and three accepted streams");
        var accepted = await server.AcceptStreamAsync().AsTask().WaitAsync(Hard);
        Assert.Equal(3u, accepted.Id);
    }

    [Fact]
    public async Task Fin_lets_reads_drain_then_end_and_dispose_forgets_the_stream()
    {
        var (a, b) = DuplexPipeStream.CreatePair();
        await using var client = new SmuxSession(a, Quiet, isClient: true);
        await using var server = new SmuxSession(b, Quiet, isClient: false);
        var stream = await client.OpenStreamAsync();
        await stream.WriteAsync("abc"u8.ToArray());
        await stream.DisposeAsync();
        Assert.Equal(0, client.StreamCount);
        Assert.Throws<ObjectDisposedException>(() => stream.ReadByte());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => stream.WriteAsync(new byte[1]).AsTask());

        var accepted = await server.AcceptStreamAsync().AsTask().WaitAsync(Hard);
        await Poll.UntilAsync(() => accepted.IsRemoteClosed, "FIN");
        Assert.Equal("abc", Encoding.ASCII.GetString(await SmuxVectorTests.ReadExactlyAsync(accepted, 3)));
        Assert.Equal(0, await accepted.ReadAsync(new byte[8]));
        Assert.Equal(0, await accepted.ReadAsync(new byte[8]));
        Assert.Equal(1, server.StreamCount); // until the application closes its side
        accepted.Dispose();
        Assert.Equal(0, server.StreamCount);
    }

    [Fact]
    public async Task A_zero_byte_read_waits_for_data_takes_none_and_completes_at_fin()
    {
        var (a, b) = DuplexPipeStream.CreatePair();
        await using var client = new SmuxSession(a, Quiet, isClient: true);
        await using var server = new SmuxSession(b, Quiet, isClient: false);
        var stream = await client.OpenStreamAsync();
        await stream.WriteAsync("hi"u8.ToArray());
        var accepted = await server.AcceptStreamAsync().AsTask().WaitAsync(Hard);
        Assert.Equal("hi", Encoding.ASCII.GetString(await SmuxVectorTests.ReadExactlyAsync(accepted, 2)));

        Assert.Equal(1, accepted.ReceiveChunks); // drained by a read: the chunk is kept for the next frame
        var wait = accepted.ReadAsync(Memory<byte>.Empty).AsTask();
        await Task.Delay(50);
        Assert.False(wait.IsCompleted); // nothing buffered: it waits, holding no chunk
        Assert.Equal(0, accepted.ReceiveChunks);
        await stream.WriteAsync("xyz"u8.ToArray());
        Assert.Equal(0, await wait.WaitAsync(Hard));
        Assert.Equal(0, await accepted.ReadAsync(Memory<byte>.Empty).AsTask().WaitAsync(Hard)); // data there: at once
        Assert.Equal("xyz", Encoding.ASCII.GetString(await SmuxVectorTests.ReadExactlyAsync(accepted, 3))); // none taken

        var atEnd = accepted.ReadAsync(Memory<byte>.Empty).AsTask();
        await stream.DisposeAsync();
        Assert.Equal(0, await atEnd.WaitAsync(Hard));
        Assert.Equal(0, await accepted.ReadAsync(new byte[1]).AsTask().WaitAsync(Hard));
    }

    [Fact]
    public async Task Writes_are_split_at_max_frame_size()
    {
        var (a, b) = DuplexPipeStream.CreatePair(record: true);
        var config = Quiet with { MaxFrameSize = 1000 };
        await using var client = new SmuxSession(a, config, isClient: true);
        await using var server = new SmuxSession(b, config, isClient: false);
        var stream = await client.OpenStreamAsync();
        var data = RandomBytes(10500, 1);
        await stream.WriteAsync(data);
        var accepted = await server.AcceptStreamAsync().AsTask().WaitAsync(Hard);
        Assert.Equal(data, await SmuxVectorTests.ReadExactlyAsync(accepted, data.Length));

        var pushes = SmuxFrames.Parse(a.Written).Where(f => f.Header.Command == SmuxCommand.Push).Select(f => (int)f.Header.Length).ToArray();
        Assert.Equal([1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 500], pushes);
    }

    [Fact]
    public async Task Frames_for_unknown_streams_are_dropped_and_v1_accepts_upd()
    {
        var (raw, b) = DuplexPipeStream.CreatePair();
        await using var server = new SmuxSession(b, Quiet, isClient: false);
        // PSH for sid 9 (never opened), FIN for sid 11, then SYN 3, a v1 UPD for 3 (Debian accepts it), PSH "x".
        await raw.WriteAsync(Vectors.Hex("0102030009000000616263010100000b000000" + "0100000003000000" + "010408000300000001000000ffff0000" + "010201000300000078"));
        var accepted = await server.AcceptStreamAsync().AsTask().WaitAsync(Hard);
        Assert.Equal("x", Encoding.ASCII.GetString(await SmuxVectorTests.ReadExactlyAsync(accepted, 1)));
        Assert.False(server.IsClosed);
        Assert.Equal(server.Config.MaxReceiveBuffer, server.ReceiveBudget);
    }

    public static TheoryData<string, string> ProtocolErrors => new()
    {
        { "0203000000000000", "frame version 2" },
        { "0109000000000000", "unknown command 9" },
        { "0103050000000000", "Nop frame with length 5" },
        { "01000a0005000000", "Syn frame with length 10" },
        { "0104ffff03000000", "UPD frame with length 65535" },
        { "0101010003000000", "Fin frame with length 1" },
        { "0104040003000000", "UPD frame with length 4" },
        { "0104000003000000", "UPD frame with length 0" },
    };

    [Theory]
    [MemberData(nameof(ProtocolErrors))]
    public async Task Protocol_error_closes_the_session_with_a_clear_error_everywhere(string badFrame, string detail)
    {
        using var unobserved = new UnobservedExceptionProbe();
        var (raw, b) = DuplexPipeStream.CreatePair();
        var server = new SmuxSession(b, Quiet, isClient: false);
        await raw.WriteAsync(Vectors.Hex("0100000003000000"));
        var stream = await server.AcceptStreamAsync().AsTask().WaitAsync(Hard);
        var pendingRead = stream.ReadAsync(new byte[8]).AsTask();
        var pendingAccept = server.AcceptStreamAsync().AsTask();

        await raw.WriteAsync(Vectors.Hex(badFrame));

        var readError = await Assert.ThrowsAsync<SmuxProtocolException>(() => pendingRead.WaitAsync(Hard));
        Assert.StartsWith("invalid protocol", readError.Message, StringComparison.Ordinal);
        Assert.Contains(detail, readError.Message, StringComparison.Ordinal);
        var acceptError = await Assert.ThrowsAsync<SmuxProtocolException>(() => pendingAccept.WaitAsync(Hard));
        Assert.Contains(detail, acceptError.Message, StringComparison.Ordinal);
        await server.Closed.WaitAsync(Hard);
        Assert.True(server.IsClosed);
        Assert.IsType<SmuxProtocolException>(server.CloseReason);
        await Assert.ThrowsAsync<SmuxProtocolException>(() => server.OpenStreamAsync().AsTask());
        await Assert.ThrowsAsync<SmuxProtocolException>(() => server.AcceptStreamAsync().AsTask());
        await Assert.ThrowsAsync<SmuxProtocolException>(() => stream.ReadAsync(new byte[8]).AsTask());
        await Assert.ThrowsAsync<SmuxProtocolException>(() => stream.WriteAsync(new byte[8]).AsTask());
        Assert.Equal(0, await raw.ReadAsync(new byte[64]).AsTask().WaitAsync(Hard)); // the connection was closed
        await server.DisposeAsync();
        unobserved.AssertNone();
    }

    [Fact]
    public async Task Keepalive_closes_a_silent_session()
    {
        using var unobserved = new UnobservedExceptionProbe();
        var (a, raw) = DuplexPipeStream.CreatePair();
        var config = new SmuxConfig { KeepAliveInterval = TimeSpan.FromMilliseconds(100), KeepAliveTimeout = TimeSpan.FromMilliseconds(300) };
        var client = new SmuxSession(a, config, isClient: true);
        var stream = await client.OpenStreamAsync();
        var pendingAccept = client.AcceptStreamAsync().AsTask();
        var pendingRead = stream.ReadAsync(new byte[1]).AsTask();

        await client.Closed.WaitAsync(Hard);
        var error = await Assert.ThrowsAsync<SmuxException>(() => pendingAccept.WaitAsync(Hard));
        Assert.Contains("keepalive timeout", error.Message, StringComparison.Ordinal);
        Assert.Contains("keepalive timeout", (await Assert.ThrowsAsync<SmuxException>(() => pendingRead.WaitAsync(Hard))).Message, StringComparison.Ordinal);
        await client.DisposeAsync();
        unobserved.AssertNone();
    }

    [Fact]
    public async Task Keepalive_keeps_a_live_pair_open_and_closes_it_once_silent()
    {
        // Timers fire only when the test moves a fake clock, so the test is deterministic however busy the machine
        // is. Each end has its own clock: stopping the server's makes it fall silent (no NOPs) while the client's runs.
        var clientTime = new TestTimeProvider();
        var serverTime = new TestTimeProvider();
        var interval = TimeSpan.FromSeconds(10);
        var timeout = TimeSpan.FromSeconds(30);
        var config = new SmuxConfig { KeepAliveInterval = interval, KeepAliveTimeout = timeout };
        var (a, b) = DuplexPipeStream.CreatePair(record: true);
        await using var client = new SmuxSession(a, config, isClient: true, clientTime);
        await using var server = new SmuxSession(b, config, isClient: false, serverTime);
        static int Nops(DuplexPipeStream end) => SmuxFrames.Parse(end.Written).Count(f => f.Header.Command == SmuxCommand.Nop);

        // Six keep-alive periods, NOPs and a round trip in each: the timeout checks at 30 and 60 s find both alive.
        for (var period = 1; period <= 6; period++)
        {
            clientTime.Advance(interval);
            serverTime.Advance(interval);
            await Poll.UntilAsync(() => Nops(a) == period && Nops(b) == period, "one NOP each way");
            await RoundTripAsync(client, server); // frames are handled in order: both NOPs have arrived
        }

        Assert.False(client.IsClosed);
        Assert.False(server.IsClosed);

        // The server falls silent: within three of the client's checks the client closes with a keep-alive timeout,
        // and the server with it. The last period's frames may count for one check, and a window update the server's
        // send loop writes after the FIN exchange (it runs on its own) for another; the timer fires on this thread,
        // so the close is visible as soon as Advance returns.
        await Poll.UntilAsync(() => client.StreamCount == 0 && server.StreamCount == 0, "the FIN exchange");
        var checks = 0;
        while (!client.IsClosed && checks < 3)
        {
            clientTime.Advance(timeout);
            checks++;
        }

        Assert.True(client.IsClosed, $"still open after {checks} silent keep-alive periods");
        await client.Closed.WaitAsync(Hard);
        await server.Closed.WaitAsync(Hard);
        Assert.Contains("keepalive timeout", client.CloseReason!.Message, StringComparison.Ordinal);
        Assert.Equal(0, clientTime.ArmedTimers); // timers disposed
        Assert.Equal(0, serverTime.ArmedTimers);
    }

    private static async Task RoundTripAsync(SmuxSession client, SmuxSession server)
    {
        var stream = await client.OpenStreamAsync();
        await stream.WriteAsync(new byte[1]);
        var accepted = await server.AcceptStreamAsync().AsTask().WaitAsync(Hard);
        await SmuxVectorTests.ReadExactlyAsync(accepted, 1);
        await accepted.WriteAsync(new byte[1]);
        await SmuxVectorTests.ReadExactlyAsync(stream, 1);
        await accepted.DisposeAsync();
        await stream.DisposeAsync();
    }

    [Fact]
    public async Task Dispose_ends_reads_accepts_and_writes()
    {
        var (a, b) = DuplexPipeStream.CreatePair();
        var client = new SmuxSession(a, Quiet, isClient: true);
        await using var server = new SmuxSession(b, Quiet, isClient: false);
        var stream = await client.OpenStreamAsync();
        var pendingRead = stream.ReadAsync(new byte[1]).AsTask();
        var pendingAccept = client.AcceptStreamAsync().AsTask();

        await client.DisposeAsync();

        Assert.True(client.IsClosed);
        Assert.Null(client.CloseReason);
        Assert.Equal("smux: session closed", (await Assert.ThrowsAsync<SmuxException>(() => pendingRead.WaitAsync(Hard))).Message);
        Assert.Equal("smux: session closed", (await Assert.ThrowsAsync<SmuxException>(() => pendingAccept.WaitAsync(Hard))).Message);
        await Assert.ThrowsAsync<SmuxException>(() => stream.WriteAsync(new byte[1]).AsTask());
        await Assert.ThrowsAsync<SmuxException>(() => client.OpenStreamAsync().AsTask());
        Assert.Equal(0, client.StreamCount);

        // The peer sees the connection end.
        await server.Closed.WaitAsync(Hard);
        Assert.Contains("closed by the peer", server.CloseReason!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_cancellation_and_timeout_leave_the_stream_usable()
    {
        var (a, b) = DuplexPipeStream.CreatePair();
        await using var client = new SmuxSession(a, Quiet, isClient: true);
        await using var server = new SmuxSession(b, Quiet, isClient: false);
        var stream = await client.OpenStreamAsync();
        await stream.WriteAsync(new byte[1]);
        var accepted = await server.AcceptStreamAsync().AsTask().WaitAsync(Hard);
        await SmuxVectorTests.ReadExactlyAsync(accepted, 1);

        using var cts = new CancellationTokenSource();
        var read = accepted.ReadAsync(new byte[4], cts.Token).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.WaitAsync(Hard));

        accepted.ReadTimeout = 50;
        Assert.Throws<TimeoutException>(() => accepted.Read(new byte[4], 0, 4));

        await stream.WriteAsync("ok"u8.ToArray());
        Assert.Equal("ok", Encoding.ASCII.GetString(await SmuxVectorTests.ReadExactlyAsync(accepted, 2)));
        accepted.Write("sync"u8);
        var back = new byte[4];
        stream.ReadExactly(back);
        Assert.Equal("sync", Encoding.ASCII.GetString(back));
    }

    [Fact]
    public async Task V2_write_fails_when_the_peer_claims_more_than_was_sent()
    {
        var (a, raw) = DuplexPipeStream.CreatePair();
        await using var client = new SmuxSession(a, Quiet with { Version = 2 }, isClient: true);
        var stream = await client.OpenStreamAsync();
        // UPD sid 3 consumed 100 window 262144, then PSH "z" so the test knows the UPD was processed.
        await raw.WriteAsync(Vectors.Hex("0204080003000000640000000000040002020100030000007a"));
        await SmuxVectorTests.ReadExactlyAsync(stream, 1);
        var error = await Assert.ThrowsAsync<SmuxException>(() => stream.WriteAsync(new byte[10]).AsTask());
        Assert.Equal("smux: peer consumed more than sent", error.Message);
    }

    [Fact]
    public async Task V2_writer_waits_for_the_window_and_dispose_fails_it()
    {
        var (a, raw) = DuplexPipeStream.CreatePair(record: true, pauseThreshold: 1 << 22);
        await using var client = new SmuxSession(a, Quiet with { Version = 2 }, isClient: true);
        var stream = await client.OpenStreamAsync();
        var window = SmuxStream.InitialPeerWindow;

        var write = stream.WriteAsync(new byte[window + 1000]).AsTask();
        await Poll.UntilAsync(() => PushedBytes(a) == window, "the initial window to be sent");
        Assert.False(write.IsCompleted);

        // UPD: consumed 1000 more than... the peer read everything and offers the same window again.
        await raw.WriteAsync(Vectors.Hex("0204080003000000" + "00000400" + "00000400"));
        await write.WaitAsync(Hard);
        Assert.Equal(window + 1000, PushedBytes(a));

        // Now the window is used up again (1000 in flight of 262144 would not be); fill it, then a FIN, which does
        // not end the wait (the peer only finished writing, SmuxHalfCloseTests), and then the session's end, which does.
        var second = stream.WriteAsync(new byte[window]).AsTask();
        await Poll.UntilAsync(() => PushedBytes(a) == 2 * window, "the window to fill");
        await raw.WriteAsync(Vectors.Hex("0201000003000000"));
        await Poll.UntilAsync(() => stream.IsRemoteClosed, "the FIN");
        Assert.False(second.IsCompleted);
        await client.DisposeAsync();
        await Assert.ThrowsAsync<SmuxException>(() => second.WaitAsync(Hard));
    }

    [Fact]
    public async Task Queued_write_honours_cancellation_and_stream_dispose()
    {
        // The peer never reads: once the pipe is full the send loop is stuck and later writes stay queued.
        var (a, raw) = DuplexPipeStream.CreatePair(pauseThreshold: 1024);
        await using var client = new SmuxSession(a, Quiet, isClient: true);
        var first = await client.OpenStreamAsync();
        var second = await client.OpenStreamAsync();
        var filling = first.WriteAsync(new byte[200000]).AsTask();

        using var cts = new CancellationTokenSource();
        var cancelled = second.WriteAsync(new byte[100000], cts.Token).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Hard));

        var disposed = second.WriteAsync(new byte[100000]).AsTask();
        second.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => disposed.WaitAsync(Hard));
        Assert.False(filling.IsCompleted);
        Assert.Equal(1, client.StreamCount);
        await client.DisposeAsync();
        await Assert.ThrowsAsync<SmuxException>(() => filling.WaitAsync(Hard));
        GC.KeepAlive(raw);
    }

    [Fact]
    public async Task V2_dispose_releases_a_writer_waiting_for_the_window()
    {
        var (a, raw) = DuplexPipeStream.CreatePair(record: true, pauseThreshold: 1 << 22);
        await using var client = new SmuxSession(a, Quiet with { Version = 2 }, isClient: true);
        var stream = await client.OpenStreamAsync();
        var write = stream.WriteAsync(new byte[SmuxStream.InitialPeerWindow + 1]).AsTask();
        await Poll.UntilAsync(() => PushedBytes(a) == SmuxStream.InitialPeerWindow, "the window to fill");
        stream.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => write.WaitAsync(Hard));
        await Poll.UntilAsync(() => SmuxFrames.Parse(a.Written).Any(f => f.Header.Command == SmuxCommand.Fin), "FIN");
        GC.KeepAlive(raw);
    }

    internal static int PushedBytes(DuplexPipeStream end) =>
        SmuxFrames.Parse(end.Written).Where(f => f.Header.Command == SmuxCommand.Push).Sum(f => f.Header.Length);

    internal static byte[] RandomBytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
