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

    [Fact]
    public async Task A_frame_queued_while_the_connection_had_no_room_waits_behind_one_batch_sized_to_the_room()
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
        var bulkWrite = bulk.WriteAsync(new byte[300_000]).AsTask();
        await Poll.UntilAsync(() => gated.Waiting, "the send loop waiting for room");
        var reply = interactive.WriteAsync(new byte[64]).AsTask();
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
        // the reply (64 KiB ahead); chosen after, one batch of at most the room.
        Assert.InRange(bulkAhead, 1, Room);
        Assert.All(gated.Writes.Skip(writesBefore), length => Assert.InRange(length, 1, Room));
        Assert.Equal(300_064, frames.Where(f => f.Header.Command == SmuxCommand.Push).Sum(f => f.Header.Length));
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
