using System.Threading.Channels;

namespace Kcptun.Smux;

/// <summary>
/// One smux session (docs/protocol/smux.md §8) over a reliable duplex byte stream (a KCP session, optionally wrapped in
/// snappy framing). It owns one receive loop, one send loop and, unless disabled, the keepalive timers; all of them
/// end when the session closes, and <see cref="DisposeAsync"/> awaits them. The session owns the connection and
/// disposes it when it closes.
/// </summary>
public sealed partial class SmuxSession : IAsyncDisposable
{
    /// <summary>smux's accept backlog: the receive loop waits when this many streams are waiting to be accepted.</summary>
    public const int AcceptBacklog = 1024;

    private readonly Stream _connection;
    private readonly SmuxConfig _config;
    private readonly byte _version;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _streamsLock = new();
    private readonly Dictionary<uint, SmuxStream> _streams = [];
    private readonly Channel<SmuxStream> _accepts;
    private readonly Task _sendLoop;
    private readonly Task _receiveLoop;
    private readonly ITimer? _pingTimer;
    private readonly ITimer? _timeoutTimer;
    private uint _nextStreamId;
    private bool _goAway;
    private volatile bool _isClosed;
    private Exception? _closeReason;

    /// <summary>Starts a session over <paramref name="connection"/>.</summary>
    /// <param name="connection">A reliable duplex stream; one read and one write may run at the same time.</param>
    /// <param name="config">Validated with <see cref="SmuxConfig.Validate"/>.</param>
    /// <param name="isClient">Clients open odd stream ids from 3, servers even ids from 2.</param>
    public SmuxSession(Stream connection, SmuxConfig config, bool isClient)
        : this(connection, config, isClient, TimeProvider.System)
    {
    }

    /// <summary>Starts a session whose keepalive runs on <paramref name="timeProvider"/>.</summary>
    public SmuxSession(Stream connection, SmuxConfig config, bool isClient, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(timeProvider);
        config.Validate();

        _connection = connection;
        _config = config;
        Time = timeProvider;
        _version = (byte)config.Version;
        _nextStreamId = isClient ? 1u : 0u;
        _receiveBudget = config.MaxReceiveBuffer;
        _sendBuffer = new byte[Math.Max(SendBatchSize, SmuxFrameHeader.Size + config.MaxFrameSize)];
        _accepts = Channel.CreateBounded<SmuxStream>(new BoundedChannelOptions(AcceptBacklog)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleWriter = true,
        });

        _sendLoop = SendLoopAsync();
        _receiveLoop = ReceiveLoopAsync();
        if (!config.KeepAliveDisabled)
        {
            _pingTimer = timeProvider.CreateTimer(static s => ((SmuxSession)s!).OnPingTimer(), this, config.KeepAliveInterval, config.KeepAliveInterval);
            _timeoutTimer = timeProvider.CreateTimer(static s => ((SmuxSession)s!).OnTimeoutTimer(), this, config.KeepAliveTimeout, config.KeepAliveTimeout);
        }

        _started.SetResult();
    }

    /// <summary>The settings this session runs with.</summary>
    public SmuxConfig Config => _config;

    /// <summary>True once the session has closed (locally, by an error or by keepalive timeout).</summary>
    public bool IsClosed => _isClosed;

    /// <summary>Streams currently open on this session (0 once closed).</summary>
    public int StreamCount
    {
        get
        {
            lock (_streamsLock)
            {
                return _isClosed ? 0 : _streams.Count;
            }
        }
    }

    /// <summary>Completes (never faults) when the session has closed, its loops have ended and the connection is disposed.</summary>
    public Task Closed => _closed.Task;

    /// <summary>
    /// Cancelled as soon as the session starts closing (any reason). A half-closed stream may have nobody reading or
    /// writing it, so its users watch this to let go of it when the session dies.
    /// </summary>
    public CancellationToken Closing => _shutdown.Token;

    /// <summary>Why the session closed: null while open and after a local <see cref="DisposeAsync"/>.</summary>
    public Exception? CloseReason => _isClosed ? Volatile.Read(ref _closeReason) : null;

    /// <summary>Opens a new stream: sends SYN (queued ahead of data) and returns at once.</summary>
    /// <exception cref="SmuxException">The session is closed, or its stream ids are exhausted.</exception>
    public ValueTask<SmuxStream> OpenStreamAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfClosed();
        SmuxStream stream;
        lock (_streamsLock)
        {
            if (_goAway)
            {
                throw new SmuxException("stream id overflows, should start a new connection");
            }

            _nextStreamId += 2;
            var id = _nextStreamId;
            if (id == id % 2)
            {
                _goAway = true;
                throw new SmuxException("stream id overflows, should start a new connection");
            }

            stream = new SmuxStream(this, id);
            _streams.Add(id, stream);
        }

        if (!TryEnqueueControl(SmuxCommand.Syn, stream))
        {
            lock (_streamsLock)
            {
                _streams.Remove(stream.Id);
            }

            throw CreateClosedException();
        }

        return ValueTask.FromResult(stream);
    }

    /// <summary>Waits for the next stream opened by the peer.</summary>
    /// <exception cref="SmuxException">The session is closed (<see cref="SmuxProtocolException"/> for a protocol error).</exception>
    public async ValueTask<SmuxStream> AcceptStreamAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        try
        {
            var stream = await _accepts.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            ThrowIfClosed();
            return stream;
        }
        catch (ChannelClosedException)
        {
            throw CreateClosedException();
        }
    }

    /// <summary>Closes the session and every stream at once (nothing is sent), then awaits its loops.</summary>
    public async ValueTask DisposeAsync()
    {
        Close(null);
        await _closed.Task.ConfigureAwait(false);
    }

    internal SmuxConfig Settings => _config;

    /// <summary>The clock of keepalive and of the adaptive stream windows.</summary>
    internal TimeProvider Time { get; }

    internal byte ProtocolVersion => _version;

    /// <summary>Begins closing: idempotent, never blocks, never throws; the first reason wins.</summary>
    internal void Close(Exception? reason)
    {
        lock (_sendLock)
        {
            if (_isClosed)
            {
                return;
            }

            _closeReason = reason;
            _isClosed = true;
        }

        _ = ShutdownAsync();
    }

    /// <summary>The error a stream operation reports once the session is closed.</summary>
    internal SmuxException CreateClosedException()
    {
        var reason = Volatile.Read(ref _closeReason);
        return reason switch
        {
            null => new SmuxException("smux: session closed"),
            SmuxProtocolException => new SmuxProtocolException(reason.Message, reason),
            _ => new SmuxException(reason.Message, reason),
        };
    }

    /// <summary>Forgets a stream the application closed and returns its unread bytes to the receive budget (less what
    /// its window growth had added to it).</summary>
    internal void RemoveStream(SmuxStream stream)
    {
        int released;
        lock (_streamsLock)
        {
            ForgetLocked(stream);
            released = stream.DiscardReceived();
        }

        if (released != 0)
        {
            ReturnBudget(released);
        }
    }

    /// <summary>
    /// Forgets a stream whose FIN has gone both ways: later frames for its id are dropped, but its buffered data stays
    /// readable (and keeps its share of the budget) until the application reads it or disposes the stream.
    /// </summary>
    internal void ForgetStream(SmuxStream stream)
    {
        lock (_streamsLock)
        {
            ForgetLocked(stream);
        }
    }

    private void ForgetLocked(SmuxStream stream)
    {
        // Only this very stream: a hostile peer may have reused its id with a new SYN after it was forgotten.
        if (_streams.TryGetValue(stream.Id, out var registered) && ReferenceEquals(registered, stream))
        {
            _streams.Remove(stream.Id);
        }
    }

    private void ThrowIfClosed()
    {
        if (_isClosed)
        {
            throw CreateClosedException();
        }
    }

    private async Task ShutdownAsync()
    {
        await _started.Task.ConfigureAwait(false);
        try
        {
            await _shutdown.CancelAsync().ConfigureAwait(false);
            _pingTimer?.Dispose();
            _timeoutTimer?.Dispose();
            _sendSignal.Set();
            _budgetSignal.Set();
            _accepts.Writer.TryComplete();

            NotifyStreamsClosed();

            try
            {
                await _connection.DisposeAsync().ConfigureAwait(false);
            }
#pragma warning disable CA1031 // The connection is going away whatever its dispose reports.
            catch (Exception)
#pragma warning restore CA1031
            {
            }

            await _sendLoop.ConfigureAwait(false);
            await _receiveLoop.ConfigureAwait(false);
            // Again, for streams the receive loop created while it was stopping.
            NotifyStreamsClosed();
            while (_accepts.Reader.TryRead(out var pending))
            {
                pending.OnSessionClosed();
            }

        }
        finally
        {
            _closed.TrySetResult();
        }
    }

    private void NotifyStreamsClosed()
    {
        SmuxStream[] streams;
        lock (_streamsLock)
        {
            streams = [.. _streams.Values];
        }

        foreach (var stream in streams)
        {
            stream.OnSessionClosed();
        }
    }

    private void OnPingTimer()
    {
        TryEnqueueControl(SmuxCommand.Nop, null);
    }

    private void OnTimeoutTimer()
    {
        // Nothing arrived during the whole period; a receive loop paused by an exhausted budget does not count.
        if (Interlocked.Exchange(ref _frameArrived, 0) == 0 && Volatile.Read(ref _receiveBudget) > 0)
        {
            Close(new SmuxException($"smux: keepalive timeout: no frame received for {_config.KeepAliveTimeout.TotalSeconds:0.###} s"));
        }
    }
}
