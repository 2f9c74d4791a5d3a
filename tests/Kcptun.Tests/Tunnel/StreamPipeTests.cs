using System.Net.Sockets;
using System.Security.Cryptography;
using Kcptun.Tunnel;
using Kcptun.Tests.Support;

namespace Kcptun.Tests.Tunnel;

public class StreamPipeTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Copies_both_ways_and_carries_each_end_separately()
    {
        using var app = await SocketPair.CreateAsync();    // app.Left = the application, app.Right = our local end
        using var peer = await SocketPair.CreateAsync();   // peer.Left = our tunnel end, peer.Right = the far side
        var pipe = StreamPipe.RunAsync(app.Right, peer.Left, TimeSpan.Zero, CancellationToken.None);

        var up = RandomNumberGenerator.GetBytes(300_000);
        var down = RandomNumberGenerator.GetBytes(200_000);
        var writeUp = app.Left.WriteAsync(up).AsTask();
        var writeDown = peer.Right.WriteAsync(down).AsTask();
        Assert.Equal(up, await ReadExactly(peer.Right, up.Length));
        Assert.Equal(down, await ReadExactly(app.Left, down.Length));
        await Task.WhenAll(writeUp, writeDown).WaitAsync(s_timeout);

        app.Left.Socket.Shutdown(SocketShutdown.Send); // the application is done sending
        Assert.Equal(0, await peer.Right.ReadAsync(new byte[1]).AsTask().WaitAsync(s_timeout)); // far side sees the end
        Assert.False(pipe.IsCompleted);
        var late = RandomNumberGenerator.GetBytes(70_000);
        await peer.Right.WriteAsync(late); // ... and still answers
        Assert.Equal(late, await ReadExactly(app.Left, late.Length));

        peer.Right.Socket.Shutdown(SocketShutdown.Send);
        Assert.Equal(0, await app.Left.ReadAsync(new byte[1]).AsTask().WaitAsync(s_timeout));
        Assert.Null(await pipe.WaitAsync(s_timeout));
    }

    [Fact]
    public async Task Both_directions_issue_their_first_read_on_the_calling_thread()
    {
        var local = new PendingReadStream();
        var tunnel = new PendingReadStream();
        var pipe = StreamPipe.RunAsync(local, tunnel, TimeSpan.Zero, CancellationToken.None);
        Assert.Equal(Environment.CurrentManagedThreadId, local.FirstReadThread);
        Assert.Equal(Environment.CurrentManagedThreadId, tunnel.FirstReadThread);

        local.EndOfStream();
        Assert.Null(await pipe.WaitAsync(s_timeout));
        Assert.True(local.IsDisposed && tunnel.IsDisposed);
    }

    [Fact]
    public async Task An_idle_direction_waits_with_a_zero_byte_read_and_a_busy_one_reads_on()
    {
        using var app = await SocketPair.CreateAsync();
        var tunnel = new RecordingStream();
        var pipe = StreamPipe.RunAsync(app.Right, tunnel, TimeSpan.Zero, CancellationToken.None);
        Assert.Equal([0], tunnel.ReadLengths); // idle from the start: waiting holds no buffer

        // A full buffer's worth and then some: the read after a full one goes straight on, the one after a short
        // read waits empty-handed again.
        tunnel.Feed(new byte[StreamPipe.BufferSize + 10]);
        await tunnel.WaitForReads(4).WaitAsync(s_timeout);
        Assert.Equal([0, StreamPipe.BufferSize, StreamPipe.BufferSize, 0], tunnel.ReadLengths);
        Assert.Equal(StreamPipe.BufferSize + 10, await Drain(app.Left, StreamPipe.BufferSize + 10));

        tunnel.Feed(null); // end of stream
        app.Left.Socket.Shutdown(SocketShutdown.Send);
        Assert.Null(await pipe.WaitAsync(s_timeout));
    }

    [Fact]
    public async Task Close_wait_holds_each_half_close_back_on_its_own_clock()
    {
        using var app = await SocketPair.CreateAsync();
        using var peer = await SocketPair.CreateAsync();
        var clock = new TestTimeProvider();
        var pipe = StreamPipe.RunAsync(app.Right, peer.Left, TimeSpan.FromSeconds(3), CancellationToken.None, clock);
        app.Left.Socket.Shutdown(SocketShutdown.Send); // request sent, now waiting for the answer
        var farEnd = peer.Right.ReadAsync(new byte[1]).AsTask();
        await Poll.UntilAsync(() => clock.ArmedTimers > 0, "the closewait timer");
        clock.Advance(TimeSpan.FromSeconds(2.9));
        await Task.Delay(100);
        Assert.False(farEnd.IsCompleted); // closewait not over yet
        clock.Advance(TimeSpan.FromSeconds(0.1));
        Assert.Equal(0, await farEnd.WaitAsync(s_timeout));

        var answer = RandomNumberGenerator.GetBytes(50_000);
        await peer.Right.WriteAsync(answer);
        peer.Right.Socket.Shutdown(SocketShutdown.Send);
        Assert.Equal(answer, await ReadExactly(app.Left, answer.Length));
        var appEnd = app.Left.ReadAsync(new byte[1]).AsTask();
        await Poll.UntilAsync(() => clock.ArmedTimers > 0, "the closewait timer");
        Assert.False(appEnd.IsCompleted); // the answer's direction waits its own closewait
        clock.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(0, await appEnd.WaitAsync(s_timeout));
        Assert.Null(await pipe.WaitAsync(s_timeout));
    }

    [Fact]
    public async Task An_error_tears_both_ends_down_at_once_whatever_the_close_wait()
    {
        using var app = await SocketPair.CreateAsync();
        using var peer = await SocketPair.CreateAsync();
        var pipe = StreamPipe.RunAsync(app.Right, peer.Left, TimeSpan.FromDays(1), CancellationToken.None);
        await app.Left.WriteAsync("partial"u8.ToArray());
        Assert.Equal("partial"u8.ToArray(), await ReadExactly(peer.Right, 7));
        app.Left.Socket.LingerState = new LingerOption(true, 0);
        app.Left.Socket.Close(); // RST: the application's connection broke

        Assert.NotNull(await pipe.WaitAsync(s_timeout));
        Assert.Equal(0, await peer.Right.ReadAsync(new byte[1]).AsTask().WaitAsync(s_timeout));
    }

    [Fact]
    public async Task A_stream_without_half_close_is_closed_fully_and_the_other_way_still_ends_cleanly()
    {
        // QPP's wrapper has none: 20260314 closes the stream when the direction into it ends (docs/protocol/smux.md §8.4).
        using var app = await SocketPair.CreateAsync();
        using var peer = await SocketPair.CreateAsync();
        var tunnel = new ForwardingStream(peer.Left);
        var pipe = StreamPipe.RunAsync(app.Right, tunnel, TimeSpan.Zero, CancellationToken.None);
        await app.Left.WriteAsync("request"u8.ToArray());
        app.Left.Socket.Shutdown(SocketShutdown.Send);
        Assert.Equal("request"u8.ToArray(), await ReadExactly(peer.Right, 7));
        Assert.Equal(0, await peer.Right.ReadAsync(new byte[1]).AsTask().WaitAsync(s_timeout));
        Assert.Null(await pipe.WaitAsync(s_timeout));
        Assert.True(tunnel.IsDisposed);
        Assert.Equal(0, await app.Left.ReadAsync(new byte[1]).AsTask().WaitAsync(s_timeout)); // the application sees the end
    }

    [Fact]
    public async Task Replay_stream_returns_the_prefix_first()
    {
        using var pair = await SocketPair.CreateAsync();
        await pair.Right.WriteAsync("world"u8.ToArray());
        await using var replay = new ReplayStream(pair.Left, "hello "u8.ToArray());
        var buffer = new byte[4];
        Assert.Equal(4, await replay.ReadAsync(buffer));
        Assert.Equal("hell"u8.ToArray(), buffer);
        Assert.Equal(0, await replay.ReadAsync(Memory<byte>.Empty).AsTask().WaitAsync(s_timeout)); // prefix left: at once
        var rest = await ReadExactly(replay, 7);
        Assert.Equal("o world"u8.ToArray(), rest);
        await replay.WriteAsync("x"u8.ToArray());
        Assert.Equal((byte)'x', (await ReadExactly(pair.Right, 1))[0]);
    }

    internal static async Task<byte[]> ReadExactly(Stream stream, int count)
    {
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer).AsTask().WaitAsync(s_timeout);
        return buffer;
    }

    /// <summary>A stream whose reads wait until <see cref="EndOfStream"/> or dispose; records where the first read came from.</summary>
    private static async Task<int> Drain(Stream stream, int count)
    {
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer).AsTask().WaitAsync(s_timeout);
        return count;
    }

    /// <summary>A tunnel end that records every read's length; data comes from <see cref="Feed"/> (null = EOF).</summary>
    private sealed class RecordingStream : Kcptun.IO.DuplexStream
    {
        private readonly System.Threading.Channels.Channel<byte[]?> _chunks = System.Threading.Channels.Channel.CreateUnbounded<byte[]?>();
        private readonly List<int> _lengths = [];
        private byte[]? _current;
        private int _offset;
        private bool _ended;

        public IReadOnlyList<int> ReadLengths
        {
            get
            {
                lock (_lengths)
                {
                    return [.. _lengths];
                }
            }
        }

        public override bool CanRead => true;

        public override bool CanWrite => true;

        public void Feed(byte[]? chunk) => _chunks.Writer.TryWrite(chunk);

        public async Task WaitForReads(int count)
        {
            while (ReadLengths.Count < count)
            {
                await Task.Delay(5);
            }
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            lock (_lengths)
            {
                _lengths.Add(buffer.Length);
            }

            if (_current is null && !_ended)
            {
                _current = await _chunks.Reader.ReadAsync(cancellationToken);
                _offset = 0;
                _ended = _current is null;
            }

            if (_current is null || buffer.IsEmpty)
            {
                return 0;
            }

            var n = Math.Min(buffer.Length, _current.Length - _offset);
            _current.AsSpan(_offset, n).CopyTo(buffer.Span);
            _offset += n;
            if (_offset == _current.Length)
            {
                _current = null;
            }

            return n;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => default;

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }
    }

    /// <summary>A plain wrapper with no half-close, as QPP's.</summary>
    private sealed class ForwardingStream(Stream inner) : Kcptun.IO.DuplexStream
    {
        public bool IsDisposed { get; private set; }

        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        protected override void Dispose(bool disposing)
        {
            IsDisposed = true;
            inner.Dispose();
            base.Dispose(disposing);
        }
    }

    private sealed class PendingReadStream : Kcptun.IO.DuplexStream
    {
        private readonly TaskCompletionSource<int> _end = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int FirstReadThread { get; private set; } = -1;

        public bool IsDisposed { get; private set; }

        public override bool CanRead => true;

        public override bool CanWrite => true;

        public void EndOfStream() => _end.TrySetResult(0);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (FirstReadThread < 0)
            {
                FirstReadThread = Environment.CurrentManagedThreadId;
            }

            return new ValueTask<int>(_end.Task.WaitAsync(cancellationToken));
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => default;

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        protected override void Dispose(bool disposing)
        {
            IsDisposed = true;
            _end.TrySetResult(0);
            base.Dispose(disposing);
        }
    }
}
