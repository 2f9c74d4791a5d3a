using Kcptun.IO;
using System.Runtime.CompilerServices;
using Kcptun.Threading;

namespace Kcptun.Smux;

/// <summary>
/// One multiplexed stream of a <see cref="SmuxSession"/>. Reads return data in order and then 0 once the peer sent
/// FIN; there is no half-close: <see cref="Stream.Dispose()"/> sends FIN and forgets the stream at once (smux 1.5.16).
/// One read and one write may run at the same time; two reads (or two writes) may not.
/// <see cref="Stream.ReadTimeout"/> and <see cref="Stream.WriteTimeout"/> apply to the synchronous calls
/// (<see cref="TimeoutException"/>); asynchronous calls take a <see cref="CancellationToken"/>.
/// </summary>
public sealed partial class SmuxStream : DuplexStream
{
    /// <summary>smux's initial guess of the peer's version 2 window before its first UPD.</summary>
    public const int InitialPeerWindow = 262144;

    private readonly SmuxSession _session;
    private readonly Lock _receiveLock = new();
    private ReceiveRing _received;
    private readonly AsyncSignal _readSignal = new();
    private uint _bytesRead;
    private uint _readSinceUpdate;
    private uint _announcedConsumed;
    private volatile bool _finReceived;
    private volatile bool _sessionClosed;
    private int _disposed;
    private int _readTimeout = Timeout.Infinite;

    internal SmuxStream(SmuxSession session, uint id)
    {
        _session = session;
        Id = id;
        WriteOperation = new SmuxWriteOperation(session.SendLock);
    }

    /// <summary>The stream id (odd when opened by a client, even when opened by a server).</summary>
    public uint Id { get; }

    /// <summary>The session this stream belongs to.</summary>
    public SmuxSession Session => _session;

    /// <summary>True once the peer has sent FIN (reads end after the buffered data).</summary>
    public bool IsRemoteClosed => _finReceived;

    /// <inheritdoc/>
    public override bool CanRead => !IsDisposed;

    /// <inheritdoc/>
    public override bool CanWrite => !IsDisposed;

    /// <inheritdoc/>
    public override bool CanTimeout => true;

    /// <inheritdoc/>
    public override int ReadTimeout
    {
        get => _readTimeout;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, Timeout.Infinite);
            _readTimeout = value;
        }
    }

    internal bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Received bytes not read yet.</summary>
    internal int BufferedBytes
    {
        get
        {
            lock (_receiveLock)
            {
                return _received.Count;
            }
        }
    }

    /// <summary>Receive chunks held (tests: a stream waiting on a zero-byte read holds none).</summary>
    internal int ReceiveChunks
    {
        get
        {
            lock (_receiveLock)
            {
                return _received.ChunkCount;
            }
        }
    }

    /// <summary>The consumed count of the next UPD (guarded by the send lock for the queued flag).</summary>
    internal uint AnnouncedConsumed => Volatile.Read(ref _announcedConsumed);

    internal bool UpdateQueued { get; set; }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer)
    {
        using var timeout = _readTimeout == Timeout.Infinite ? null : new CancellationTokenSource(_readTimeout);
        var token = timeout?.Token ?? CancellationToken.None;
        while (true)
        {
            var read = TryRead(buffer);
            if (read >= 0)
            {
                return read;
            }

            try
            {
                var wait = _readSignal.WaitAsync(token);
                if (wait.IsCompleted)
                {
                    wait.GetAwaiter().GetResult();
                }
                else
                {
                    wait.AsTask().GetAwaiter().GetResult();
                }
            }
            catch (OperationCanceledException) when (timeout is not null && timeout.IsCancellationRequested)
            {
                throw new TimeoutException("smux: stream read timed out");
            }
        }
    }

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <inheritdoc/>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        var read = TryRead(buffer.Span);
        return read >= 0 ? ValueTask.FromResult(read) : WaitAndReadAsync(buffer, cancellationToken);
    }

    /// <summary>Frames are handed to the session when a write returns; there is nothing to flush.</summary>
    public override void Flush()
    {
    }

    /// <inheritdoc/>
    public override Task FlushAsync(CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested ? Task.FromCanceled(cancellationToken) : Task.CompletedTask;

    /// <summary>Sends FIN and waits until it has been written to the connection (or the session closed).</summary>
    public override async ValueTask DisposeAsync()
    {
        var finWritten = CloseLocally(waitForFin: true);
        if (finWritten is not null)
        {
            await finWritten.ConfigureAwait(false);
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        CloseLocally(waitForFin: false);
        base.Dispose(disposing);
    }

    /// <summary>Receive loop: appends a PSH payload.</summary>
    internal void Deliver(ReadOnlySpan<byte> payload)
    {
        lock (_receiveLock)
        {
            _received.Append(payload);
        }

        _readSignal.Set();
    }

    /// <summary>Drops unread data when the stream closes; returns how many bytes were dropped.</summary>
    internal int DiscardReceived()
    {
        lock (_receiveLock)
        {
            return _received.Clear();
        }
    }

    internal void OnFinReceived()
    {
        _finReceived = true;
        _readSignal.Set();
        _windowSignal.Set();
    }

    internal void OnSessionClosed()
    {
        _sessionClosed = true;
        _readSignal.Set();
        _windowSignal.Set();
        OnFinWritten();
    }

    /// <summary>Copies buffered data out: bytes read, 0 at end of stream, -1 when the caller must wait.</summary>
    private int TryRead(Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);

        // Read the end conditions before the buffer: data that arrived before FIN is then certainly queued.
        var fin = _finReceived;
        var sessionClosed = _sessionClosed || _session.IsClosed;
        int read;
        var announce = false;
        lock (_receiveLock)
        {
            if (destination.IsEmpty)
            {
                // A zero-byte read completes once data (or the end) is there and takes nothing, as a socket's does:
                // the tunnel's copy loops wait that way without holding a buffer, and nor does the stream meanwhile.
                if (_received.Count > 0 || fin || sessionClosed)
                {
                    return 0;
                }

                _received.ReleaseIfEmpty();
                return -1;
            }

            read = _received.Take(destination);
            if (read > 0 && _session.ProtocolVersion == 2)
            {
                // PROTOCOL.md 8.6: announce after the first read and whenever half the stream buffer was read.
                _bytesRead += (uint)read;
                _readSinceUpdate += (uint)read;
                if (_readSinceUpdate >= (uint)(_session.Settings.MaxStreamBuffer / 2) || _bytesRead == (uint)read)
                {
                    Volatile.Write(ref _announcedConsumed, _bytesRead);
                    _readSinceUpdate = 0;
                    announce = true;
                }
            }
        }

        if (read > 0)
        {
            _session.ReturnBudget(read);
            if (announce)
            {
                _session.TryEnqueueControl(SmuxCommand.Update, this);
            }

            return read;
        }

        if (fin)
        {
            return 0;
        }

        if (sessionClosed)
        {
            if (_session.ClosedByError)
            {
                throw _session.CreateClosedException();
            }

            return 0;
        }

        return -1;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> WaitAndReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            await _readSignal.WaitAsync(cancellationToken).ConfigureAwait(false);
            var read = TryRead(buffer.Span);
            if (read >= 0)
            {
                return read;
            }
        }
    }

    /// <summary>Marks the stream closed once; returns the FIN completion to await, if any.</summary>
    private Task? CloseLocally(bool waitForFin)
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return null;
        }

        Task? finWritten = null;
        if (waitForFin)
        {
            var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _finCompletion, completion);
            finWritten = completion.Task;
        }

        if (!_session.TryEnqueueFin(this))
        {
            OnFinWritten();
        }

        _session.RemoveStream(this);
        _readSignal.Set();
        _windowSignal.Set();
        return finWritten;
    }
}
