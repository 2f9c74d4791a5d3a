using System.Buffers.Binary;
using Kcptun.Smux;
using Kcptun.Tests.Support;

namespace Kcptun.Tests.Smux;

/// <summary>
/// The adaptive version 2 stream window (<see cref="SmuxConfig.StreamWindowLimit"/>, docs/receive-window.md): the
/// window a receiver announces grows with what its reader consumes per second, only while the reader keeps up, never
/// past the limit and never down; without a limit it is smux's fixed window, announced every half window.
/// </summary>
public class SmuxStreamWindowTests
{
    private const int Base = 65536;
    private static readonly TimeSpan Hard = TimeSpan.FromSeconds(10);

    private static SmuxConfig Config(int limit) => new()
    {
        Version = 2,
        KeepAliveDisabled = true,
        MaxStreamBuffer = Base,
        MaxReceiveBuffer = 1 << 20,
        StreamWindowLimit = limit,
    };

    /// <summary>The (consumed, window) of every UPD the receiving side sent for the stream, in order.</summary>
    private static List<(uint Consumed, uint Window)> Updates(byte[] written, uint streamId) =>
        SmuxFrames.Parse(written)
            .Where(f => f.Header.Command == SmuxCommand.Update && f.Header.StreamId == streamId)
            .Select(f => (BinaryPrimitives.ReadUInt32LittleEndian(f.Frame.AsSpan(8)), BinaryPrimitives.ReadUInt32LittleEndian(f.Frame.AsSpan(12))))
            .ToList();

    // A stream the client opened and the server accepted, a byte already across.
    private static async Task<(SmuxStream Client, SmuxStream Server)> OpenAsync(SmuxSession client, SmuxSession server)
    {
        var stream = await client.OpenStreamAsync();
        await stream.WriteAsync(new byte[1]);
        var accepted = await server.AcceptStreamAsync().AsTask().WaitAsync(Hard);
        Assert.Equal(1, await accepted.ReadAsync(new byte[1]));
        return (stream, accepted);
    }

    // The server writes `total` bytes in 16 KiB pieces; the client reads `perStep` bytes and the fake clock moves
    // `stepMs` per step. Returns the UPDs the client sent.
    private static async Task<List<(uint Consumed, uint Window)>> TransferAsync(int limit, int total, int perStep, int stepMs, bool leaveUnread = false)
    {
        var time = new TestTimeProvider();
        var (a, b) = DuplexPipeStream.CreatePair(record: true, pauseThreshold: 64 << 20);
        await using var client = new SmuxSession(a, Config(limit), isClient: true, time);
        await using var server = new SmuxSession(b, Config(limit), isClient: false, time);
        var (stream, accepted) = await OpenAsync(client, server);
        var data = SmuxSessionTests.RandomBytes(total, 7);
        var writer = Task.Run(async () =>
        {
            for (var offset = 0; offset < total; offset += 16384)
            {
                await accepted.WriteAsync(data.AsMemory(offset, Math.Min(16384, total - offset)));
            }
        });

        var received = new byte[total];
        var read = 0;
        var buffer = new byte[perStep];
        while (read < total)
        {
            if (leaveUnread)
            {
                // A slow reader: it reads only once its buffer holds well over a quarter of the window.
                await Poll.UntilAsync(() => stream.BufferedBytes >= Math.Min(Base / 2 + perStep, total - read), "data to pile up");
            }

            var want = Math.Min(perStep, total - read);
            var got = await SmuxVectorTests.ReadExactlyAsync(stream, want);
            got.CopyTo(received, read);
            read += want;
            time.Advance(TimeSpan.FromMilliseconds(stepMs));
        }

        await writer.WaitAsync(Hard);
        Assert.Equal(data, received);
        return Updates(a.Written, stream.Id);
    }

    [Fact]
    public async Task A_reader_that_keeps_up_grows_the_window_to_its_rate_and_the_sender_uses_it()
    {
        // 32 KiB per 10 ms of fake time: 3.3 MB/s, so a second's worth is over the 1 MiB limit.
        var updates = await TransferAsync(limit: 1 << 20, total: 8 << 20, perStep: 32768, stepMs: 10);
        Assert.Equal((uint)Base, updates[0].Window);
        Assert.Equal(1u << 20, updates[^1].Window); // reached the limit
        Assert.All(updates, u => Assert.InRange(u.Window, (uint)Base, 1u << 20));
        for (var i = 1; i < updates.Count; i++)
        {
            Assert.True(updates[i].Window >= updates[i - 1].Window, "the window never shrinks");
            Assert.True(updates[i].Consumed >= updates[i - 1].Consumed);
        }

        // Once grown, an UPD is due every eighth of the window (128 KiB): up to 64 for 8 MiB, where every half window
        // gives at most 16. The send loop coalesces an UPD still queued, so fewer go out; at most that many.
        Assert.InRange(updates.Count(u => u.Window == 1u << 20), 1, 64);

        // At the limit nothing grows any more, so every UPD after the first there is an eighth of the window's reads.
        var atLimit = updates.Where(u => u.Window == 1u << 20).ToList();
        for (var i = 1; i < atLimit.Count; i++)
        {
            Assert.True(atLimit[i].Consumed - atLimit[i - 1].Consumed >= (1u << 20) / 8,
                $"UPD {i} at the limit after {atLimit[i].Consumed - atLimit[i - 1].Consumed} bytes");
        }
    }

    [Fact]
    public async Task The_window_grows_only_as_far_as_the_reader_consumes_per_second()
    {
        // 16 KiB per 50 ms: 328 KB/s, well under the 1 MiB limit.
        var updates = await TransferAsync(limit: 1 << 20, total: 2 << 20, perStep: 16384, stepMs: 50);
        var largest = updates.Max(u => u.Window);
        Assert.InRange(largest, 300_000u, 360_000u);
    }

    [Fact]
    public async Task A_reader_that_lags_keeps_the_window_where_it_is()
    {
        // Fast enough to grow (16 KiB per 2 ms), but the reader leaves more than a quarter of the window unread.
        var updates = await TransferAsync(limit: 1 << 20, total: 1 << 20, perStep: 16384, stepMs: 2, leaveUnread: true);
        Assert.All(updates, u => Assert.Equal((uint)Base, u.Window));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(Base)]
    public async Task Without_a_limit_above_the_stream_buffer_the_window_is_smux_fixed_one(int limit)
    {
        var updates = await TransferAsync(limit, total: 1 << 20, perStep: 32768, stepMs: 10);
        Assert.All(updates, u => Assert.Equal((uint)Base, u.Window));
        // smux's cadence: after the first read, then every half window (32 KiB): at most 32 for 1 MiB plus the first
        // (fewer when the send loop coalesces one still queued).
        Assert.InRange(updates.Count, 2, 33);
    }

    [Fact]
    public async Task A_grown_stream_whose_reader_stops_leaves_the_session_room_for_other_streams()
    {
        // The tunnel's setting: the window may grow to the whole session budget (--smuxbuf). A stream grows its window
        // to that, then its reader stops; the sender fills the window. Another stream must still get its data.
        const int limit = 1 << 20;
        var time = new TestTimeProvider();
        var (a, b) = DuplexPipeStream.CreatePair(record: false, pauseThreshold: 64 << 20);
        await using var client = new SmuxSession(a, Config(limit), isClient: true, time);
        await using var server = new SmuxSession(b, Config(limit), isClient: false, time);
        var (stalled, stalledPeer) = await OpenAsync(client, server);
        using var stop = new CancellationTokenSource();
        var pusher = Task.Run(async () =>
        {
            var piece = new byte[16384];
            while (!stop.IsCancellationRequested)
            {
                await stalledPeer.WriteAsync(piece, stop.Token);
            }
        });

        // 32 KiB per 10 ms of fake time until the announced window reached the limit: it grew.
        var buffer = new byte[32768];
        for (var i = 0; i < 400 && stalled.AnnouncedWindow < limit; i++)
        {
            await SmuxVectorTests.ReadExactlyAsync(stalled, buffer.Length);
            time.Advance(TimeSpan.FromMilliseconds(10));
        }

        Assert.Equal(limit, stalled.AnnouncedWindow);
        // The reader stops; the sender fills the window (less the part not yet announced as consumed).
        await Poll.UntilAsync(() => stalled.BufferedBytes >= limit - (limit / 8) - buffer.Length, "the stalled stream's window to fill");

        var (other, otherPeer) = await OpenAsync(client, server);
        var data = SmuxSessionTests.RandomBytes(4 * Base, 9);
        var write = otherPeer.WriteAsync(data).AsTask();
        Assert.Equal(data, await SmuxVectorTests.ReadExactlyAsync(other, data.Length).WaitAsync(Hard));
        await write.WaitAsync(Hard);
        Assert.InRange(stalled.BufferedBytes, 0, limit); // it still holds no more than its window

        await stop.CancelAsync();
        await stalled.DisposeAsync(); // its unread bytes and its window growth go back to the session
        await pusher.ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(Hard);
        Assert.Equal(Config(limit).MaxReceiveBuffer, client.ReceiveBudget);
    }

    [Fact]
    public void A_negative_limit_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => (Config(0) with { StreamWindowLimit = -1 }).Validate());
        Assert.Contains("stream window limit", error.Message, StringComparison.Ordinal);
    }
}
