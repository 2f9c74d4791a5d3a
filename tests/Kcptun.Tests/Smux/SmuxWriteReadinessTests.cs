using Kcptun.IO;
using Kcptun.Smux;
using Kcptun.Tests.Support;

namespace Kcptun.Tests.Smux;

/// <summary>
/// The send loop over a connection that reports its room (<see cref="IWriteReadiness"/>, a KCP session): it waits
/// for room before it chooses frames and sizes the batch to the room, so a frame queued while the connection was
/// full goes out behind at most one batch of another stream's data, not behind a 64 KiB batch chosen earlier.
/// </summary>
public class SmuxWriteReadinessTests
{
    private static readonly TimeSpan Hard = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(64, 0, 0)]              // a small write goes ahead of the bulk
    [InlineData(30_000, 1, 20_000)]     // a larger one takes its turn: behind one batch, sized to the room
    public async Task A_write_queued_while_the_connection_had_no_room_waits_behind_at_most_one_batch_sized_to_the_room(
        int size, int leastAhead, int mostAhead)
    {
        var (a, b) = DuplexPipeStream.CreatePair(record: true, pauseThreshold: 64 << 20);
        var gated = new GatedConnection(a);
        var config = new SmuxConfig { Version = 1, KeepAliveDisabled = true }; // v1: no stream window to wait for
        await using var client = new SmuxSession(gated, config, isClient: true);
        await using var server = new SmuxSession(b, config, isClient: false);
        var bulk = await client.OpenStreamAsync();
        var interactive = await client.OpenStreamAsync();
        await Poll.UntilAsync(() => SmuxFrames.Parse(a.Written).Count(f => f.Header.Command == SmuxCommand.Syn) == 2, "both SYNs");

        gated.Shut();
        var bulkData = Enumerable.Range(0, 300_000).Select(i => (byte)(i % 251)).ToArray();
        var replyData = Enumerable.Range(0, size).Select(i => (byte)(i % 13)).ToArray();
        var bulkWrite = bulk.WriteAsync(bulkData).AsTask();
        await Poll.UntilAsync(() => gated.Waiting, "the send loop waiting for room");
        var reply = interactive.WriteAsync(replyData).AsTask();
        const int Room = 20_000;
        var writesBefore = gated.Writes.Count;
        gated.Open(Room);
        await reply.WaitAsync(Hard);
        await bulkWrite.WaitAsync(Hard);

        var frames = SmuxFrames.Parse(a.Written);
        var replyFrame = frames.FindIndex(f => f.Header.Command == SmuxCommand.Push && f.Header.StreamId == interactive.Id);
        Assert.True(replyFrame >= 0);
        var bulkAhead = frames.Take(replyFrame).Where(f => f.Header.Command == SmuxCommand.Push).Sum(f => f.Header.Length);
        // Chosen before the room came, the first batch held 32 KiB of the bulk and the second another 32 KiB ahead of
        // the reply (64 KiB ahead); chosen after, at most one batch of at most the room, and none for a small write.
        Assert.InRange(bulkAhead, leastAhead, mostAhead);
        Assert.All(gated.Writes.Skip(writesBefore), length => Assert.InRange(length, 1, Room));
        Assert.Equal(300_000 + size, frames.Where(f => f.Header.Command == SmuxCommand.Push).Sum(f => f.Header.Length));

        // Each stream's bytes arrive whole and in order.
        var bulkRead = new byte[300_000];
        var replyRead = new byte[size];
        var servedBulk = await server.AcceptStreamAsync().AsTask().WaitAsync(Hard);
        var servedReply = await server.AcceptStreamAsync().AsTask().WaitAsync(Hard);
        await servedBulk!.ReadExactlyAsync(bulkRead).AsTask().WaitAsync(Hard);
        await servedReply!.ReadExactlyAsync(replyRead).AsTask().WaitAsync(Hard);
        Assert.Equal(bulkData, bulkRead);
        Assert.Equal(replyData, replyRead);
    }

    [Fact]
    public async Task Little_room_still_writes_batches_of_the_minimum_size()
    {
        var (a, b) = DuplexPipeStream.CreatePair(record: true, pauseThreshold: 64 << 20);
        var gated = new GatedConnection(a);
        var config = new SmuxConfig { Version = 1, KeepAliveDisabled = true };
        await using var client = new SmuxSession(gated, config, isClient: true);
        await using var server = new SmuxSession(b, config, isClient: false);
        var bulk = await client.OpenStreamAsync();
        await Poll.UntilAsync(() => gated.Writes.Count == 1, "the SYN");

        gated.Shut();
        var write = bulk.WriteAsync(new byte[100_000]).AsTask();
        await Poll.UntilAsync(() => gated.Waiting, "the send loop waiting for room");
        gated.Open(100); // a segment's worth: a batch per segment would cost a lock and a KCP call each
        await write.WaitAsync(Hard);

        var lengths = gated.Writes.Skip(1).ToList();
        Assert.All(lengths.SkipLast(1), length => Assert.Equal(16_384, length));
        Assert.Equal(100_000 + (lengths.Count * 8), lengths.Sum());
    }

    /// <summary>A connection with a switchable room: shut, writes and the readiness wait block; open, they pass.</summary>
    private sealed class GatedConnection(DuplexPipeStream inner) : DuplexStream, IWriteReadiness
    {
        private readonly Lock _lock = new();
        private TaskCompletionSource _open = CompletedGate();
        private int _room = 65536;
        private volatile bool _waiting;

        public List<int> Writes { get; } = [];

        public override bool CanRead => true;

        public override bool CanWrite => true;

        public bool Waiting => _waiting;

        public int WritableBytes
        {
            get
            {
                lock (_lock)
                {
                    return _open.Task.IsCompleted ? _room : 0;
                }
            }
        }

        public void Shut()
        {
            lock (_lock)
            {
                _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        public void Open(int room)
        {
            lock (_lock)
            {
                _room = room;
                _open.TrySetResult();
            }
        }

        public async ValueTask WaitWritableAsync(CancellationToken cancellationToken)
        {
            Task gate;
            lock (_lock)
            {
                gate = _open.Task;
            }

            _waiting = !gate.IsCompleted;
            await gate.WaitAsync(cancellationToken);
            _waiting = false;
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await WaitWritableAsync(cancellationToken); // as a KCP session: a write waits for room too
            lock (_lock)
            {
                Writes.Add(buffer.Length);
            }

            await inner.WriteAsync(buffer, cancellationToken);
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            inner.ReadAsync(buffer, cancellationToken);

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        private static TaskCompletionSource CompletedGate()
        {
            var gate = new TaskCompletionSource();
            gate.SetResult();
            return gate;
        }
    }
}
