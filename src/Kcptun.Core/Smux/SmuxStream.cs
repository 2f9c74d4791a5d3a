using Kcptun.IO;
using System.Runtime.CompilerServices;
using Kcptun.Threading;

namespace Kcptun.Smux;

/// <summary>
/// One multiplexed stream of a <see cref="SmuxSession"/>, with TCP-like half-close as smux 1.5.57 has it
/// (docs/protocol/smux.md §8.4). A FIN from the peer means "the peer finished writing": reads return every buffered byte, then
/// 0, and the stream stays writable (version 2 still within the peer's window). <see cref="CloseWrite"/> sends our FIN
/// behind the data already written and keeps the stream readable. Once FIN has gone both ways the session forgets the
/// stream (data still buffered stays readable); <see cref="Stream.Dispose()"/> is the full close: it sends FIN unless
/// one was sent, drops unread data and forgets the stream at once. A peer that treats FIN as a full close (smux 1.5.16
/// and 1.5.52) just never writes after its FIN. One read and one write may run at the same time; two reads (or two
/// writes) may not.
/// <see cref="Stream.ReadTimeout"/> and <see cref="Stream.WriteTimeout"/> apply to the synchronous calls
/// (<see cref="TimeoutException"/>); asynchronous calls take a <see cref="CancellationToken"/>.
/// </summary>
public sealed partial class SmuxStream : DuplexStream, IHalfClosable
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
    private int _window;                // the version 2 window we announce (grows under StreamWindowLimit)
    private int _budgetGrowth;          // what the window grew by, added to the session's receive budget
    private long _sampleStart;          // TimeProvider timestamp of the current read-rate sample
    private bool _sampling;
    private bool _drainedInSample;      // a read of the current sample emptied the buffer: the reader keeps up
    private long _sampleBytes;
    private volatile bool _finReceived; // written under _receiveLock, with _writeClosed
    private volatile bool _writeClosed;
    private volatile bool _sessionClosed;
    private int _disposed;
    private int _readTimeout = Timeout.Infinite;

    internal SmuxStream(SmuxSession session, uint id)
    {
        _session = session;
        Id = id;
        _window = session.Settings.MaxStreamBuffer;
        WriteOperation = new SmuxWriteOperation(session.SendLock);
    }

    /// <summary>The stream id (odd when opened by a client, even when opened by a server).</summary>
    public uint Id { get; }

    /// <summary>The session this stream belongs to.</summary>
    public SmuxSession Session => _session;

    /// <summary>True once the peer has sent FIN (reads end after the buffered data).</summary>
    public bool IsRemoteClosed => _finReceived;

    /// <summary>True once our FIN is queued (<see cref="CloseWrite"/> or dispose): writes fail from then on.</summary>
    public bool IsWriteClosed => _writeClosed;

    /// <inheritdoc/>
    public override bool CanRead => !IsDisposed;

    /// <inheritdoc/>
    public override bool CanWrite => !IsDisposed && !_writeClosed;

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

    /// <summary>
    /// The version 2 window this side announces: <see cref="SmuxConfig.MaxStreamBuffer"/>, or more once it grew under
    /// <see cref="SmuxConfig.StreamWindowLimit"/>.
    /// </summary>
    internal int AnnouncedWindow => Volatile.Read(ref _window);

    /// <summary>How often a read-rate sample is taken for the adaptive window.</summary>
    internal static readonly TimeSpan WindowSamplePeriod = TimeSpan.FromMilliseconds(100);

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

    /// <summary>
    /// Half-close: queues FIN behind every byte written so far and returns at once. Later writes fail (a write still
    /// pending is failed); reading goes on until the peer's FIN. Idempotent; after a dispose it does nothing.
    /// </summary>
    public void CloseWrite()
    {
        if (!IsDisposed)
        {
            QueueFinOnce(disposing: false);
        }
    }

    /// <summary>
    /// Full close: sends FIN unless <see cref="CloseWrite"/> did, drops unread data, and waits until our FIN has been
    /// written to the connection (or the session closed).
    /// </summary>
    public override async ValueTask DisposeAsync()
    {
        if (CloseLocally() && Volatile.Read(ref _finCompletion) is { } finWritten)
        {
            await finWritten.Task.ConfigureAwait(false);
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        CloseLocally();
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

    /// <summary>
    /// Clears what the stream holds unread for good. Returns what that frees of the session's receive budget: the unread
    /// bytes, less the budget its window growth added (<see cref="GrowWindow"/>), which leaves with the stream.
    /// </summary>
    internal int DiscardReceived()
    {
        lock (_receiveLock)
        {
            var released = _received.Clear() - _budgetGrowth;
            _budgetGrowth = 0;
            return released;
        }
    }

    /// <summary>Receive loop: the peer has finished writing. A repeated FIN (a 20260314 peer may send two) is ignored.</summary>
    internal void OnFinReceived()
    {
        bool bothWays;
        lock (_receiveLock)
        {
            if (_finReceived)
            {
                return;
            }

            _finReceived = true;
            bothWays = _writeClosed;
        }

        _readSignal.Set();
        if (bothWays)
        {
            _session.ForgetStream(this);
        }
    }

    internal void OnSessionClosed()
    {
        _sessionClosed = true;
        _readSignal.Set();
        _windowSignal.Set();
        OnFinWritten();
    }

    /// <summary>
    /// Bytes read since the last UPD after which the next one goes out: half the window, as smux; an adaptive window
    /// announces every eighth, so the sender's view of what was consumed lags less of a window that holes below smux
    /// already keep partly used.
    /// </summary>
    private uint UpdateThreshold() => (uint)(_session.Settings.AdaptiveStreamWindow ? _window / 8 : _window / 2);

    /// <summary>
    /// Receive lock held. The adaptive window (docs/receive-window.md): every <see cref="WindowSamplePeriod"/> the bytes
    /// read per second are compared with the window; when more, and some read of the sample emptied the buffer (the
    /// reader keeps up: a reader that never catches up is flow control, not the path; one that catches up still finds
    /// a burst waiting whenever KCP releases what waited behind a hole), the window becomes that second's worth, up to
    /// <see cref="SmuxConfig.StreamWindowLimit"/>. It never shrinks: the peer may have sent up to the edge it was given.
    /// Why a second: the sender's in flight is bounded by the window, and under loss that must cover a round trip plus
    /// the repair of a hole (another round trip or more), so a window-bound stream reads window / (RTT + repair) per
    /// second, more than its window for any RTT + repair under a second, and the window grows until the path limits.
    /// What the window grows by is added to the session's receive budget until the stream is removed: a grown stream
    /// whose reader then stops holds up to its window, and without that it could take the whole budget and pause the
    /// session's other streams (seen in the interop suite: a connection nobody reads stalled five echoes beside it).
    /// </summary>
    private bool GrowWindow(int read)
    {
        var time = _session.Time;
        var now = time.GetTimestamp();
        _drainedInSample |= _received.Count == 0;
        if (!_sampling)
        {
            _sampling = true;
            _sampleStart = now;
            _sampleBytes = 0;
            return false;
        }

        _sampleBytes += read;
        var elapsed = time.GetElapsedTime(_sampleStart, now);
        if (elapsed < WindowSamplePeriod)
        {
            return false;
        }

        var perSecond = _sampleBytes / elapsed.TotalSeconds;
        var keptUp = _drainedInSample;
        _sampleStart = now;
        _sampleBytes = 0;
        _drainedInSample = false;
        if (perSecond <= _window || !keptUp)
        {
            return false;
        }

        var grown = (int)Math.Min(perSecond, _session.Settings.StreamWindowLimit);
        var growth = grown - _window;
        if (growth <= 0)
        {
            // Already at the limit: nothing grew, so no UPD is due for it (one went out per sample period before,
            // beyond the eighth-of-a-window ones).
            return false;
        }

        _budgetGrowth += growth;
        _session.ReturnBudget(growth);
        Volatile.Write(ref _window, grown);
        return true;
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
                // docs/protocol/smux.md §8.6: announce after the first read and whenever half the stream buffer was read
                // (an eighth of an adaptive window), and at once when the adaptive window grew.
                _bytesRead += (uint)read;
                _readSinceUpdate += (uint)read;
                var grew = _session.Settings.AdaptiveStreamWindow && GrowWindow(read);
                if (_readSinceUpdate >= UpdateThreshold() || _bytesRead == (uint)read || grew)
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
            // The stream did not end, it was cut: an error, so a half-closing copy loop does not take it for the
            // peer's FIN and wait on the other direction (a session disposed locally says "smux: session closed").
            throw _session.CreateClosedException();
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

    /// <summary>Marks the stream closed once; true for the call that did.</summary>
    private bool CloseLocally()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return false;
        }

        QueueFinOnce(disposing: true);
        _session.RemoveStream(this);
        _readSignal.Set();
        _windowSignal.Set();
        return true;
    }

    /// <summary>Queues this stream's one FIN (from <see cref="CloseWrite"/> or dispose, whichever comes first).</summary>
    private void QueueFinOnce(bool disposing)
    {
        bool bothWays;
        lock (_receiveLock)
        {
            if (_writeClosed)
            {
                return;
            }

            _writeClosed = true;
            bothWays = _finReceived;
        }

        Volatile.Write(ref _finCompletion, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_session.TryEnqueueFin(this, disposing))
        {
            OnFinWritten();
        }

        _windowSignal.Set(); // a writer waiting for window gives up now
        if (bothWays && !disposing)
        {
            _session.ForgetStream(this);
        }
    }
}
