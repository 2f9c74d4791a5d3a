using System.Buffers;
using System.Runtime.CompilerServices;
using Kcptun.Threading;

namespace Kcptun.Smux;

public sealed partial class SmuxStream
{
    private readonly AsyncSignal _windowSignal = new();
    private TaskCompletionSource? _finCompletion;
    private uint _bytesWritten;
    private uint _peerConsumed;
    private uint _peerWindow = InitialPeerWindow;
    private int _writing;
    private int _writeTimeout = Timeout.Infinite;

    /// <inheritdoc/>
    public override int WriteTimeout
    {
        get => _writeTimeout;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, Timeout.Infinite);
            _writeTimeout = value;
        }
    }

    internal SmuxWriteOperation WriteOperation { get; }

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        WriteSynchronously(buffer.AsMemory(offset, count));
    }

    /// <inheritdoc/>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        var copy = ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            buffer.CopyTo(copy);
            WriteSynchronously(copy.AsMemory(0, buffer.Length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    /// <inheritdoc/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <summary>
    /// Sends <paramref name="buffer"/> as PSH frames of at most <see cref="SmuxConfig.MaxFrameSize"/> bytes and
    /// completes once the session has taken every byte into its send batch (the batch being written to the connection
    /// is the back-pressure). Version 2 also waits while the peer's window is used up.
    /// </summary>
    /// <exception cref="SmuxException">The session closed, or the peer claims to have consumed more than was sent
    /// (version 2).</exception>
    /// <exception cref="IOException">The stream was closed for writing (<see cref="CloseWrite"/>).</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        ThrowIfWriteClosed();
        cancellationToken.ThrowIfCancellationRequested();
        if (buffer.IsEmpty)
        {
            return;
        }

        if (Interlocked.Exchange(ref _writing, 1) != 0)
        {
            throw new InvalidOperationException("Another write is already pending on this smux stream.");
        }

        try
        {
            if (_session.ProtocolVersion == 1)
            {
                await _session.EnqueueWriteAsync(this, buffer, cancellationToken).ConfigureAwait(false);
                return;
            }

            while (true)
            {
                // docs/protocol/smux.md §8.6; the u32 arithmetic wraps like smux's.
                var inFlight = (int)(_bytesWritten - Volatile.Read(ref _peerConsumed));
                if (inFlight < 0)
                {
                    throw new SmuxException("smux: peer consumed more than sent");
                }

                var window = (int)Volatile.Read(ref _peerWindow) - inFlight;
                if (window > 0)
                {
                    var chunk = Math.Min(window, buffer.Length);
                    _bytesWritten += (uint)chunk;
                    await _session.EnqueueWriteAsync(this, buffer[..chunk], cancellationToken).ConfigureAwait(false);
                    buffer = buffer[chunk..];
                    if (buffer.IsEmpty)
                    {
                        return;
                    }

                    continue;
                }

                ObjectDisposedException.ThrowIf(IsDisposed, this);
                ThrowIfWriteClosed();
                if (_sessionClosed || _session.IsClosed)
                {
                    throw _session.CreateClosedException();
                }

                // A FIN from the peer does not end the wait: it only finished writing and still reads and sends UPD
                // (smux 1.5.57). A peer that took its FIN for a full close never will; the session's end frees us.
                await _windowSignal.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            Volatile.Write(ref _writing, 0);
        }
    }

    /// <summary>Receive loop: a UPD frame (absolute values, so repeats are harmless).</summary>
    internal void OnWindowUpdate(uint consumed, uint window)
    {
        Volatile.Write(ref _peerConsumed, consumed);
        Volatile.Write(ref _peerWindow, window);
        _windowSignal.Set();
    }

    /// <summary>The error of a write after <see cref="CloseWrite"/>.</summary>
    internal static IOException WriteClosedException() => new("smux: the stream is closed for writing");

    /// <summary>Send loop: this stream's FIN is on the connection (or will never be).</summary>
    internal void OnFinWritten() => Volatile.Read(ref _finCompletion)?.TrySetResult();

    private void ThrowIfWriteClosed()
    {
        if (_writeClosed)
        {
            throw WriteClosedException();
        }
    }

    private void WriteSynchronously(ReadOnlyMemory<byte> buffer)
    {
        using var timeout = _writeTimeout == Timeout.Infinite ? null : new CancellationTokenSource(_writeTimeout);
        try
        {
            var write = WriteAsync(buffer, timeout?.Token ?? CancellationToken.None);
            if (write.IsCompleted)
            {
                write.GetAwaiter().GetResult();
            }
            else
            {
                write.AsTask().GetAwaiter().GetResult();
            }
        }
        catch (OperationCanceledException) when (timeout is not null && timeout.IsCancellationRequested)
        {
            throw new TimeoutException("smux: stream write timed out");
        }
    }
}
