using Kcptun.Crypto;
using Kcptun.Smux;
using Kcptun.Transport;
using Kcptun.Threading;

namespace Kcptun.Tunnel;

/// <summary>
/// The server side of the tunnel (docs/protocol/programs.md §10.4): for every transport connection (one KCP session) it detects or
/// checks compression and smux version, runs an smux server session, and connects every stream the client opens to
/// <see cref="TunnelServerSettings.Target"/> (TCP or unix socket), copying both ways with half-close carried through
/// (<see cref="StreamPipe"/>). A target that is down or silent (10 s dial timeout) closes only that stream; the server
/// keeps serving.
/// </summary>
public sealed class TunnelServer : IAsyncDisposable
{
    /// <summary>
    /// How long a new session may stay silent before its first frame: smux's keep-alive timeout. A half-open session
    /// (a client, or a flood, that opened a KCP conversation and sent no smux frame) is closed after it, and its slot
    /// under <see cref="Kcptun.Transport.KcpListener.MaxSessions"/> freed; one that goes silent later is closed by the
    /// smux keep-alive timeout (also 30 s).
    /// </summary>
    public static readonly TimeSpan FirstFrameTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Streams one session may have open at once (each holds a target connection). A SYN beyond it is answered with a
    /// FIN at once (the client's connection ends), counted in <see cref="Kcptun.Diagnostics.TunnelGauges.RefusedStreams"/>
    /// and logged once per second at most. Go kcptun has no such limit: a client that holds the key could open streams
    /// (and target connections) until the server runs out of file descriptors or memory. Streams not yet accepted are
    /// bounded by smux's <see cref="SmuxSession.AcceptBacklog"/>; see docs/reliability.md for the memory bound.
    /// </summary>
    public const int MaxStreamsPerSession = 8192;

    private readonly TunnelServerSettings _settings;
    private readonly TunnelLog _log;
    private readonly TargetDialer _target;
    private readonly QuantumPermutationPad? _pads;
    private readonly TaskTracker _work = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly ITimer _trim;
    private int _disposed;
    private int _sessions;
    private readonly Func<Stream, Stream> _compress;

    /// <summary>Creates the server; nothing runs until <see cref="ServeConnectionAsync"/> is called.</summary>
    /// <param name="settings">What to run with.</param>
    /// <param name="log">Where stream and session events go.</param>
    /// <param name="compress">Wraps a session stream in snappy framing (both directions).</param>
    public TunnelServer(TunnelServerSettings settings, TunnelLog log, Func<Stream, Stream> compress)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(compress);
        _settings = settings;
        _log = log;
        _compress = compress;
        _target = new TargetDialer(settings.Target);
        _pads = settings.Pads;
        _trim = TimeProvider.System.CreateTimer(static s => MemoryTrim.Check(((TunnelServer)s!).Load), this, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary>The first-frame timeout in force (tests shorten it; programs keep <see cref="FirstFrameTimeout"/>).</summary>
    internal TimeSpan FirstFrameLimit { get; init; } = FirstFrameTimeout;

    /// <summary>The per-session stream limit in force (tests lower it; programs keep <see cref="MaxStreamsPerSession"/>).</summary>
    internal int StreamsPerSession { get; init; } = MaxStreamsPerSession;

    /// <summary>Sessions being served right now.</summary>
    public int ActiveSessions => Volatile.Read(ref _sessions);

    // What MemoryTrim watches on the server: streams and sessions open. A flood of sessions that carry no stream
    // (half-open) holds ~0.5 MiB each until reaped; their end must give the heap back as a burst of streams does.
    private long Load => Volatile.Read(ref Kcptun.Diagnostics.TunnelGauges.Global.OpenStreams) + Volatile.Read(ref _sessions);

    /// <summary>Streams being served right now (across all sessions).</summary>
    public int ActiveStreams => _work.Count;

    /// <summary>
    /// Serves one transport connection until it closes (or the server is disposed); owns and disposes
    /// <paramref name="connection"/>. Never throws for anything the client sends.
    /// </summary>
    public async Task ServeConnectionAsync(Stream connection, string localAddress, string remoteAddress, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        Interlocked.Increment(ref _sessions);
        MemoryTrim.NoteOpen(Load);
        try
        {
            await ServeSessionAsync(connection, localAddress, remoteAddress, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _sessions);
        }
    }

    private async Task ServeSessionAsync(Stream connection, string localAddress, string remoteAddress, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        var token = linked.Token;
        _log.Println("remote address:", remoteAddress);
        SniffedSession sniffed;
        try
        {
            using var firstFrame = CancellationTokenSource.CreateLinkedTokenSource(token);
            firstFrame.CancelAfter(FirstFrameLimit);
            sniffed = await SessionSniffer.DetectAsync(connection, _settings.NoCompression, _settings.SmuxVersion, _compress, firstFrame.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or OperationCanceledException)
        {
            if (!token.IsCancellationRequested)
            {
                _log.Write(e is OperationCanceledException
                    ? $"session from {remoteAddress} closed: nothing arrived for {FirstFrameLimit.TotalSeconds:0.###} s"
                    : $"session from {remoteAddress} refused: {e.Message}");
            }

            await connection.DisposeAsync().ConfigureAwait(false);
            return;
        }

        var detected = _settings.SmuxVersion is null || _settings.NoCompression is null
            ? $" (detected: {(sniffed.Compressed ? "compressed" : "uncompressed")}, smux v{sniffed.SmuxVersion})"
            : "";
        _log.Write($"smux version: {sniffed.SmuxVersion} on connection: {localAddress} -> {remoteAddress}{detected}");
        var session = new SmuxSession(sniffed.Stream, _settings.Smux with { Version = sniffed.SmuxVersion }, isClient: false);
        if (connection is KcpSession kcp)
        {
            kcp.LatencySensitive = () => session.StreamsInterleaved;
        }

        var limit = new AdmissionLimit(StreamsPerSession);
        await using (session.ConfigureAwait(false))
        {
            while (true)
            {
                SmuxStream stream;
                try
                {
                    stream = await session.AcceptStreamAsync(token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    return;
                }
                catch (SmuxException e)
                {
                    _log.Write(e.Message);
                    return;
                }

                if (!limit.TryEnter())
                {
                    await RefuseAsync(stream, remoteAddress, limit).ConfigureAwait(false);
                    continue;
                }

                _work.Add(ServeLimitedAsync(stream, remoteAddress, limit, token));
            }
        }
    }

    /// <summary>Stops every session and waits for every stream task to finish.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _trim.DisposeAsync().ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _work.WhenAllAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task ServeLimitedAsync(SmuxStream stream, string remoteAddress, AdmissionLimit limit, CancellationToken cancellationToken)
    {
        try
        {
            await ServeStreamAsync(stream, remoteAddress, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            limit.Exit();
        }
    }

    private async Task RefuseAsync(SmuxStream stream, string remoteAddress, AdmissionLimit limit)
    {
        Interlocked.Increment(ref Kcptun.Diagnostics.TunnelGauges.Global.RefusedStreams);
        var refused = limit.NoteRefused(Environment.TickCount64);
        if (refused > 0)
        {
            _log.Write($"session from {remoteAddress}: {StreamsPerSession} streams open, refused {refused} new stream(s)");
        }

        await stream.DisposeAsync().ConfigureAwait(false);
    }

    private async Task ServeStreamAsync(SmuxStream stream, string remoteAddress, CancellationToken cancellationToken)
    {
        await Task.Yield();
        Stream target;
        try
        {
            target = await _target.ConnectAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            if (e is IOException)
            {
                _log.Write(e.Message);
            }

            await stream.DisposeAsync().ConfigureAwait(false);
            return;
        }

        await TunnelStreamPump.RunAsync(target, stream, _pads, _settings.CloseWait, _log, _settings.Quiet,
            $"{remoteAddress}({stream.Id})", _settings.Target, Volatile.Read(ref _sessions), cancellationToken).ConfigureAwait(false);
    }
}
