using System.Runtime.CompilerServices;
using Kcptun.Diagnostics;

namespace Kcptun.Transport;

public sealed partial class KcpSession
{
    /// <inheritdoc/>
    public override bool CanRead => true;

    /// <inheritdoc/>
    public override bool CanWrite => true;

    /// <summary>
    /// Reads at least one byte, waiting until KCP has data; returns 0 once the session is closed and drained.
    /// Throws <see cref="IOException"/> when the UDP socket failed.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        await _readGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (true)
            {
                int received = TryReceive(buffer.Span);
                if (received >= 0)
                {
                    return received;
                }

                await _readable.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _readGate.Release();
        }
    }

    /// <summary>
    /// Bytes received, 0 for end of stream, -1 when the caller has to wait. Never waits: the read step of
    /// <see cref="ReadAsync(Memory{byte}, CancellationToken)"/>, and how protocol tests read on the pump's thread.
    /// </summary>
    internal int TryReceive(Span<byte> buffer)
    {
        int received;
        lock (_gate)
        {
            received = _buffersReleased ? -1 : _kcp.Receive(buffer);
        }

        if (received > 0)
        {
            Interlocked.Add(ref Counters.BytesReceived, received);
            return received;
        }

        if (IsClosed)
        {
            return 0;
        }

        if (Volatile.Read(ref _transportError) is { } error)
        {
            throw new IOException($"kcp session {Conversation:x8}: the UDP socket failed: {error.Message}", error);
        }

        return -1;
    }

    /// <summary>
    /// Queues all of <paramref name="buffer"/> in KCP and flushes at once (write delay off). Waits first while the
    /// segments waiting to be sent reach min(send window, remote window), as kcp-go.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (!TrySend(buffer.Span))
            {
                await _writable.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <inheritdoc/>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask WaitWritableAsync(CancellationToken cancellationToken)
    {
        if (WritableOrDone())
        {
            return;
        }

        // The writable signal has one waiter at a time: a concurrent WriteAsync is the other user.
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (!WritableOrDone())
            {
                await _writable.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private bool WritableOrDone()
    {
        lock (_gate)
        {
            return IsClosed || Volatile.Read(ref _transportError) is not null || CanQueueLocked();
        }
    }

    /// <inheritdoc/>
    public int WritableBytes
    {
        get
        {
            lock (_gate)
            {
                int segments = IsClosed ? 0 : QueueRoomLocked();
                return segments <= 0 ? 0 : (int)Math.Min(int.MaxValue, (long)segments * _kcp.Mss); // a segment carries up to mss bytes
            }
        }
    }

    /// <summary>
    /// Queues all of <paramref name="data"/> and flushes, or returns false while the send window is full. Never waits:
    /// the step of <see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>, and how protocol tests write on
    /// the pump's thread.
    /// </summary>
    internal bool TrySend(ReadOnlySpan<byte> data)
    {
        int length = data.Length;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(IsClosed, this);
            if (Volatile.Read(ref _transportError) is { } error)
            {
                throw new IOException($"kcp session {Conversation:x8}: the UDP socket failed: {error.Message}", error);
            }

            if (length == 0)
            {
                return true;
            }

            if (!CanQueueLocked())
            {
                return false;
            }

            // One segment's worth per call, as kcp-go: in message mode every piece is one message.
            int mss = _kcp.Mss;
            while (!data.IsEmpty)
            {
                ReadOnlySpan<byte> piece = data[..Math.Min(mss, data.Length)];
                int queued = _kcp.Send(piece);
                if (queued < 0)
                {
                    throw new IOException($"kcp session {Conversation:x8}: KCP refused the data ({queued})");
                }

                data = data[piece.Length..];
            }

            FlushLocked();
        }

        Interlocked.Add(ref Counters.BytesSent, length);
        return true;
    }

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Blocking read; prefer <see cref="ReadAsync(Memory{byte}, CancellationToken)"/>.</summary>
    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    /// <summary>Blocking write; prefer <see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>.</summary>
    public override void Write(byte[] buffer, int offset, int count) =>
        WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    /// <summary>Nothing to do: every write is flushed to KCP's output at once.</summary>
    public override void Flush()
    {
    }

    /// <inheritdoc/>
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Final flush and close (see the type remarks); a dialled session also closes its socket.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            CloseCore();
        }

        base.Dispose(disposing);
    }

    /// <summary>As <see cref="Dispose(bool)"/>, then waits for a dialled session's receive loop to end.</summary>
    public override async ValueTask DisposeAsync()
    {
        CloseCore();
        if (_listener is null)
        {
            await _transport.ReceiveLoop.ConfigureAwait(false);
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }
}
