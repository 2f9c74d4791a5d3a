using Kcptun.Smux;
using Kcptun.Threading;

namespace Kcptun.Benchmarks.Smux;

/// <summary>
/// An allocation-free in-memory connection, so the benchmarks measure smux rather than the pipe: each direction is a
/// bounded byte ring (the session's own <see cref="ReceiveRing"/>) with one reader and one writer.
/// </summary>
internal sealed class InMemoryDuplex(InMemoryDuplex.Direction incoming, InMemoryDuplex.Direction outgoing) : Stream
{
    public static (Stream Client, Stream Server) Connect(int capacity = 262144)
    {
        Direction up = new(capacity), down = new(capacity);
        return (new InMemoryDuplex(down, up), new InMemoryDuplex(up, down));
    }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => incoming.ReadAsync(buffer, cancellationToken);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => outgoing.WriteAsync(buffer, cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        outgoing.Complete();
        incoming.Complete();
        base.Dispose(disposing);
    }

    internal sealed class Direction(int capacity)
    {
        private readonly Lock _lock = new();
        private readonly AsyncSignal _data = new();
        private readonly AsyncSignal _space = new();
        private ReceiveRing _ring;
        private bool _completed;

        public void Complete()
        {
            lock (_lock)
            {
                _completed = true;
            }

            _data.Set();
            _space.Set();
        }

        public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            while (true)
            {
                int taken;
                bool completed;
                lock (_lock)
                {
                    taken = _ring.Take(buffer.Span);
                    completed = _completed;
                }

                if (taken > 0)
                {
                    _space.Set();
                    return taken;
                }

                if (completed)
                {
                    return 0;
                }

                await _data.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        public async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
        {
            while (!buffer.IsEmpty)
            {
                int put;
                lock (_lock)
                {
                    if (_completed)
                    {
                        throw new IOException("closed");
                    }

                    put = Math.Min(buffer.Length, capacity - _ring.Count);
                    _ring.Append(buffer.Span[..put]);
                }

                if (put > 0)
                {
                    _data.Set();
                    buffer = buffer[put..];
                }
                else
                {
                    await _space.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }
}
