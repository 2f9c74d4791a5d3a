using System.Buffers.Binary;
using System.Text;
using Kcptun.Smux;
using Kcptun.Tests.Support;

namespace Kcptun.Tests.Smux;

/// <summary>FIN as a half-close (smux 1.5.57, docs/protocol/smux.md §8.4), against our own peer and against scripted raw frames.</summary>
public class SmuxHalfCloseTests
{
    private static readonly TimeSpan Hard = TimeSpan.FromSeconds(10);
    private static readonly SmuxConfig Quiet = new() { KeepAliveDisabled = true };

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Close_write_first_then_the_peer_answers_and_closes(int version)
    {
        var (a, b) = DuplexPipeStream.CreatePair(record: true);
        await using var client = new SmuxSession(a, Quiet with { Version = version }, isClient: true);
        await using var server = new SmuxSession(b, Quiet with { Version = version }, isClient: false);
        var stream = await client.OpenStreamAsync();
        await stream.WriteAsync("request"u8.ToArray());
        stream.CloseWrite();
        Assert.True(stream.IsWriteClosed);
        Assert.False(stream.CanWrite);
        await Assert.ThrowsAsync<IOException>(() => stream.WriteAsync(new byte[1]).AsTask());
        stream.CloseWrite(); // idempotent

        var accepted = await server.AcceptStreamAsync().AsTask().WaitAsync(Hard);
        Assert.Equal("request", Encoding.ASCII.GetString(await SmuxVectorTests.ReadExactlyAsync(accepted, 7)));
        Assert.Equal(0, await accepted.ReadAsync(new byte[8]).AsTask().WaitAsync(Hard)); // the request's end
        Assert.True(accepted.IsRemoteClosed);
        Assert.True(accepted.CanWrite);

        // The answer goes out after the peer's FIN, and arrives.
        var answer = SmuxSessionTests.RandomBytes(300_000, 3);
        var write = accepted.WriteAsync(answer).AsTask(); // more than the initial v2 window: needs our UPDs
        Assert.Equal(answer, await SmuxVectorTests.ReadExactlyAsync(stream, answer.Length));
        await write.WaitAsync(Hard);
        Assert.Equal(1, client.StreamCount); // still waiting for the server's FIN
        Assert.Equal(1, server.StreamCount);

        accepted.CloseWrite();
        Assert.Equal(0, await stream.ReadAsync(new byte[8]).AsTask().WaitAsync(Hard));
        Assert.Equal(0, server.StreamCount); // FIN both ways: forgotten on both sides, nobody disposed anything yet
        await Poll.UntilAsync(() => client.StreamCount == 0, "the client to forget the stream");

        // Exactly one FIN per side, each behind that side's data (v2: our UPDs for the answer come after it).
        var clientFrames = SmuxFrames.Parse(a.Written).Where(f => f.Header.StreamId == stream.Id).Select(f => f.Header.Command)
            .Where(c => c != SmuxCommand.Update).ToList();
        Assert.Equal(SmuxCommand.Fin, clientFrames[^1]);
        Assert.Single(clientFrames, c => c == SmuxCommand.Fin);
        await stream.DisposeAsync();
        await accepted.DisposeAsync();
        Assert.Single(SmuxFrames.Parse(a.Written), f => f.Header.Command == SmuxCommand.Fin); // no second FIN on dispose
        Assert.Single(SmuxFrames.Parse(b.Written), f => f.Header.Command == SmuxCommand.Fin);
        Assert.Equal(client.Config.MaxReceiveBuffer, client.ReceiveBudget);
        Assert.Equal(server.Config.MaxReceiveBuffer, server.ReceiveBudget);
    }

    [Fact]
    public async Task Peer_fin_first_leaves_the_stream_writable_and_our_close_write_removes_it()
    {
        var (a, raw) = DuplexPipeStream.CreatePair(record: true);
        await using var client = new SmuxSession(a, Quiet, isClient: true);
        var stream = await client.OpenStreamAsync();
        await raw.WriteAsync(Concat(Frame(1, SmuxCommand.Push, 3, "hi"u8.ToArray()), Frame(1, SmuxCommand.Fin, 3)));
        Assert.Equal("hi", Encoding.ASCII.GetString(await SmuxVectorTests.ReadExactlyAsync(stream, 2)));
        Assert.Equal(0, await stream.ReadAsync(new byte[4]).AsTask().WaitAsync(Hard));

        await stream.WriteAsync("after the peer's FIN"u8.ToArray()).AsTask().WaitAsync(Hard);
        Assert.Equal(1, client.StreamCount);
        stream.CloseWrite();
        Assert.Equal(0, client.StreamCount);
        await Poll.UntilAsync(() => SmuxFrames.Parse(a.Written).Any(f => f.Header.Command == SmuxCommand.Fin), "our FIN");
        var ours = SmuxFrames.Parse(a.Written).Where(f => f.Header.StreamId == 3).ToList();
        Assert.Equal([SmuxCommand.Syn, SmuxCommand.Push, SmuxCommand.Fin], ours.Select(f => f.Header.Command));
        Assert.Equal("after the peer's FIN", Encoding.ASCII.GetString(ours[1].Frame, 8, ours[1].Frame.Length - 8));
    }

    [Fact]
    public async Task Data_that_arrives_with_the_fin_after_our_close_write_is_all_delivered()
    {
        // Go 20260314 drops it (tail loss, docs/protocol/smux.md §8.4): the stream is forgotten at the peer's FIN, and must not
        // take its unread bytes with it.
        var (a, raw) = DuplexPipeStream.CreatePair(pauseThreshold: 1 << 22);
        await using var client = new SmuxSession(a, Quiet with { Version = 2 }, isClient: true);
        var stream = await client.OpenStreamAsync();
        stream.CloseWrite();
        var answer = SmuxSessionTests.RandomBytes(100_000, 5);
        var frames = new List<byte[]>();
        for (var offset = 0; offset < answer.Length; offset += 8192)
        {
            frames.Add(Frame(2, SmuxCommand.Push, 3, answer.AsSpan(offset, Math.Min(8192, answer.Length - offset)).ToArray()));
        }

        frames.Add(Frame(2, SmuxCommand.Fin, 3));
        await raw.WriteAsync(Concat([.. frames]));
        await Poll.UntilAsync(() => client.StreamCount == 0, "FIN both ways");
        Assert.Equal(client.Config.MaxReceiveBuffer - answer.Length, client.ReceiveBudget); // held, not dropped

        Assert.Equal(answer, await SmuxVectorTests.ReadExactlyAsync(stream, answer.Length));
        Assert.Equal(0, await stream.ReadAsync(new byte[1]).AsTask().WaitAsync(Hard));
        Assert.Equal(client.Config.MaxReceiveBuffer, client.ReceiveBudget);
    }

    [Fact]
    public async Task Dispose_after_close_write_drops_unread_data_returns_the_budget_and_sends_no_second_fin()
    {
        var (a, raw) = DuplexPipeStream.CreatePair(record: true);
        await using var client = new SmuxSession(a, Quiet, isClient: true);
        var stream = await client.OpenStreamAsync();
        stream.CloseWrite();
        await raw.WriteAsync(Frame(1, SmuxCommand.Push, 3, new byte[5000]));
        await Poll.UntilAsync(() => stream.BufferedBytes == 5000, "the data");
        Assert.Equal(1, client.StreamCount);

        await stream.DisposeAsync().AsTask().WaitAsync(Hard);
        Assert.Equal(0, client.StreamCount);
        Assert.Equal(client.Config.MaxReceiveBuffer, client.ReceiveBudget);
        await raw.WriteAsync(Frame(1, SmuxCommand.Fin, 3)); // late FIN for a forgotten sid: ignored
        await raw.WriteAsync(Frame(1, SmuxCommand.Nop, 0));
        await Task.Delay(50);
        Assert.False(client.IsClosed);
        Assert.Single(SmuxFrames.Parse(a.Written), f => f.Header.Command == SmuxCommand.Fin);
    }

    [Fact]
    public async Task Fin_for_an_unknown_sid_and_a_repeated_fin_are_ignored()
    {
        var (a, raw) = DuplexPipeStream.CreatePair();
        await using var server = new SmuxSession(a, Quiet, isClient: false);
        await raw.WriteAsync(Concat(Frame(1, SmuxCommand.Fin, 41), Frame(1, SmuxCommand.Syn, 3), Frame(1, SmuxCommand.Push, 3, "x"u8.ToArray()),
            Frame(1, SmuxCommand.Fin, 3), Frame(1, SmuxCommand.Fin, 3)));
        var accepted = await server.AcceptStreamAsync().AsTask().WaitAsync(Hard);
        Assert.Equal("x", Encoding.ASCII.GetString(await SmuxVectorTests.ReadExactlyAsync(accepted, 1)));
        Assert.Equal(0, await accepted.ReadAsync(new byte[1]).AsTask().WaitAsync(Hard));
        Assert.False(server.IsClosed);
        Assert.Equal(1, server.StreamCount); // our side has not finished writing

        await accepted.WriteAsync("y"u8.ToArray());
        accepted.CloseWrite();
        Assert.Equal(0, server.StreamCount);
    }

    [Fact]
    public async Task V2_writer_keeps_obeying_the_window_after_the_peers_fin()
    {
        var (a, raw) = DuplexPipeStream.CreatePair(record: true, pauseThreshold: 1 << 22);
        await using var client = new SmuxSession(a, Quiet with { Version = 2 }, isClient: true);
        var stream = await client.OpenStreamAsync();
        var window = SmuxStream.InitialPeerWindow;
        await raw.WriteAsync(Frame(2, SmuxCommand.Fin, 3));
        await Poll.UntilAsync(() => stream.IsRemoteClosed, "the peer's FIN");

        var write = stream.WriteAsync(new byte[window + 1000]).AsTask();
        await Poll.UntilAsync(() => SmuxSessionTests.PushedBytes(a) == window, "the initial window to be sent");
        await Task.Delay(50);
        Assert.False(write.IsCompleted); // the FIN did not open the window, nor fail the write

        // The half-closed peer still reads: its UPD lets the rest go.
        var update = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(update, (uint)window);
        BinaryPrimitives.WriteUInt32LittleEndian(update.AsSpan(4), (uint)window);
        await raw.WriteAsync(Frame(2, SmuxCommand.Update, 3, update));
        await write.WaitAsync(Hard);
        Assert.Equal(window + 1000, SmuxSessionTests.PushedBytes(a));
    }

    [Fact]
    public async Task Close_write_fails_a_writer_waiting_for_the_window_and_sends_fin_behind_the_sent_data()
    {
        var (a, raw) = DuplexPipeStream.CreatePair(record: true, pauseThreshold: 1 << 22);
        await using var client = new SmuxSession(a, Quiet with { Version = 2 }, isClient: true);
        var stream = await client.OpenStreamAsync();
        var write = stream.WriteAsync(new byte[SmuxStream.InitialPeerWindow + 1]).AsTask();
        await Poll.UntilAsync(() => SmuxSessionTests.PushedBytes(a) == SmuxStream.InitialPeerWindow, "the window to fill");
        stream.CloseWrite();
        await Assert.ThrowsAsync<IOException>(() => write.WaitAsync(Hard));
        await Poll.UntilAsync(() => SmuxFrames.Parse(a.Written)[^1].Header.Command == SmuxCommand.Fin, "FIN last");
        Assert.False(stream.IsDisposed);
        GC.KeepAlive(raw);
    }

    [Fact]
    public async Task A_locally_closed_session_cuts_reads_with_an_error_not_an_end_of_stream()
    {
        var (a, b) = DuplexPipeStream.CreatePair();
        var client = new SmuxSession(a, Quiet, isClient: true);
        await using var server = new SmuxSession(b, Quiet, isClient: false);
        var stream = await client.OpenStreamAsync();
        stream.CloseWrite();
        var pending = stream.ReadAsync(new byte[1]).AsTask();
        await client.DisposeAsync();
        Assert.Equal("smux: session closed", (await Assert.ThrowsAsync<SmuxException>(() => pending.WaitAsync(Hard))).Message);
    }

    internal static byte[] Frame(byte version, SmuxCommand command, uint streamId, byte[]? payload = null)
    {
        payload ??= [];
        var frame = new byte[SmuxFrameHeader.Size + payload.Length];
        new SmuxFrameHeader(version, command, (ushort)payload.Length, streamId).Write(frame);
        payload.CopyTo(frame, SmuxFrameHeader.Size);
        return frame;
    }

    internal static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];
}
