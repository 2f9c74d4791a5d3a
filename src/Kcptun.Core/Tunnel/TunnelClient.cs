using System.Net.Sockets;
using Kcptun.Crypto;
using Kcptun.Smux;
using Kcptun.Transport;

namespace Kcptun.Tunnel;

/// <summary>A connected transport to the server (one KCP session in the programs) and its addresses for the log.</summary>
/// <param name="Stream">Reliable duplex byte stream; the smux session owns it.</param>
/// <param name="LocalAddress">Our side, e.g. the UDP socket's address.</param>
/// <param name="RemoteAddress">The server's address.</param>
public sealed record TransportConnection(Stream Stream, string LocalAddress, string RemoteAddress)
{
    /// <summary>What the transport has heard from the server (a KCP session's <see cref="KcpSession.Liveness"/>), for
    /// dead-server detection and the "no answer" hint; null when the transport cannot tell.</summary>
    public Func<KcpLiveness>? Liveness { get; init; }
}

/// <summary>
/// The client side of the tunnel (docs/protocol/programs.md §10.2, 10.3): accepts local connections, keeps
/// <see cref="TunnelClientSettings.Connections"/> smux sessions to the server and hands each new connection to the next
/// slot round-robin; a slot whose session died or expired (<c>--autoexpire</c>) gets a new session, created when a
/// connection needs it (retried every second until it works); expired sessions keep their streams until
/// <c>--scavengettl</c> has passed. Four times a second each session's <see cref="SessionWatch"/> looks at it: a server
/// that restarted is noticed within a round trip of our next segment (or after the silence limit) and the slot gets a
/// new session; a server that never answers gets a one-line hint.
/// </summary>
public sealed class TunnelClient : IAsyncDisposable
{
    private static readonly TimeSpan s_retryDelay = TimeSpan.FromSeconds(1);

    private readonly TunnelClientSettings _settings;
    private readonly TunnelLog _log;
    private readonly Func<CancellationToken, ValueTask<TransportConnection>> _dial;
    private readonly Func<Stream, Stream> _compress;
    private readonly TimeProvider _time;
    private readonly Slot?[] _slots;
    private readonly QuantumPermutationPad? _pads;
    private readonly TaskTracker _work = new();
    private readonly Lock _expiredGate = new();
    private readonly List<(Slot Session, DateTimeOffset Deadline)> _expired = [];
    private readonly CancellationTokenSource _stopping = new();
    private int _disposed;
    private int _next;

    /// <summary>Creates the client; nothing is dialled until the first local connection arrives.</summary>
    /// <param name="settings">What to run with.</param>
    /// <param name="log">Where session and stream events go.</param>
    /// <param name="dial">Opens one transport connection to the server.</param>
    /// <param name="compress">Wraps a session stream in snappy framing (both directions).</param>
    /// <param name="time">Clock for expiry and the scavenger.</param>
    public TunnelClient(TunnelClientSettings settings, TunnelLog log, Func<CancellationToken, ValueTask<TransportConnection>> dial, Func<Stream, Stream> compress, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(dial);
        ArgumentNullException.ThrowIfNull(compress);
        _settings = settings;
        _log = log;
        _dial = dial;
        _compress = compress;
        _time = time ?? TimeProvider.System;
        _slots = new Slot?[settings.Connections];
        _pads = settings.Pads;
    }

    /// <summary>Sessions currently open (live slots and expired sessions still serving streams).</summary>
    public int OpenSessions
    {
        get
        {
            lock (_expiredGate)
            {
                return _slots.Count(s => s is { Session.IsClosed: false }) + _expired.Count(e => !e.Session.Session.IsClosed);
            }
        }
    }

    /// <summary>Accepts connections from <paramref name="listener"/> until cancelled; then closes everything.</summary>
    public async Task RunAsync(Socket listener, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(listener);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        var token = linked.Token;
        var scavenger = ScavengeAsync(token);
        var watch = WatchAsync(token);
        try
        {
            while (true)
            {
                Socket connection;
                try
                {
                    connection = await listener.AcceptAsync(token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    return;
                }

                if (connection.AddressFamily != AddressFamily.Unix)
                {
                    connection.NoDelay = true;
                }

                Slot slot;
                try
                {
                    slot = await SessionForNextConnectionAsync(token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    connection.Dispose();
                    return;
                }

                _work.Add(ServeConnectionAsync(slot, connection, token));
            }
        }
        finally
        {
            await scavenger.ConfigureAwait(false);
            await watch.ConfigureAwait(false);
            await CloseAllAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Stops accepting, closes every session and waits for every connection task.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await CloseAllAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task CloseAllAsync()
    {
        List<Slot> sessions;
        lock (_expiredGate)
        {
            sessions = [.. _slots.OfType<Slot>(), .. _expired.Select(e => e.Session)];
            _expired.Clear();
            Array.Clear(_slots);
        }

        foreach (var slot in sessions)
        {
            await slot.Session.DisposeAsync().ConfigureAwait(false);
        }

        await _work.WhenAllAsync().ConfigureAwait(false);
    }

    private async Task<Slot> SessionForNextConnectionAsync(CancellationToken cancellationToken)
    {
        // kcptun's 16-bit counter modulo conn; an int modulo conn gives the same order.
        var index = _next;
        _next = (_next + 1) % _slots.Length;
        var slot = _slots[index];
        var now = _time.GetUtcNow();
        if (slot is not null && !slot.Session.IsClosed && (_settings.AutoExpire <= TimeSpan.Zero || now <= slot.Expiry))
        {
            return slot;
        }

        var fresh = await CreateSessionWithRetryAsync(cancellationToken).ConfigureAwait(false);
        lock (_expiredGate)
        {
            _slots[index] = fresh;
            if (_settings.AutoExpire > TimeSpan.Zero)
            {
                // The new session is handed to the scavenger too: it closes it scavengettl after it expires.
                _expired.Add((fresh, fresh.Expiry + _settings.ScavengeTtl));
            }
        }

        return fresh;
    }

    private async Task<Slot> CreateSessionWithRetryAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await CreateSessionAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException or TunnelConfigurationException or InvalidOperationException)
            {
                _log.Println("re-connecting:", e.Message);
                await Task.Delay(s_retryDelay, _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<Slot> CreateSessionAsync(CancellationToken cancellationToken)
    {
        var transport = await _dial(cancellationToken).ConfigureAwait(false);
        _log.Write($"smux version: {_settings.Smux.Version} on connection: {transport.LocalAddress} -> {transport.RemoteAddress}");
        var stream = _settings.Compress ? _compress(transport.Stream) : transport.Stream;
        var session = new SmuxSession(stream, _settings.Smux, isClient: true);
        if (transport.Stream is KcpSession kcp)
        {
            kcp.LatencySensitive = () => session.StreamsInterleaved;
        }

        return new Slot(session, _time.GetUtcNow() + _settings.AutoExpire, transport.LocalAddress, transport.RemoteAddress)
        {
            Liveness = transport.Liveness,
        };
    }

    private async Task ServeConnectionAsync(Slot slot, Socket connection, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var local = new NetworkStream(connection, ownsSocket: true);
        var peer = connection.AddressFamily == AddressFamily.Unix ? "@" : EndpointResolver.Format(connection.RemoteEndPoint);
        SmuxStream stream;
        try
        {
            stream = await slot.Session.OpenStreamAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SmuxException or OperationCanceledException)
        {
            if (e is SmuxException)
            {
                StreamLine(e.Message);
            }

            await local.DisposeAsync().ConfigureAwait(false);
            return;
        }

        await TunnelStreamPump.RunAsync(local, stream, _pads, _settings.CloseWait, _log, _settings.Quiet, peer,
            $"{slot.RemoteAddress}({stream.Id})", alsoOpen: 0, cancellationToken).ConfigureAwait(false);
    }

    // kcptun's scavenger: once a second, forget sessions that closed by themselves and close those past their TTL.
    private async Task ScavengeAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var now = _time.GetUtcNow();
                List<Slot> overdue = [];
                lock (_expiredGate)
                {
                    for (var i = _expired.Count - 1; i >= 0; i--)
                    {
                        var (slot, deadline) = _expired[i];
                        if (slot.Session.IsClosed)
                        {
                            _log.Println("scavenger: session normally closed:", slot.LocalAddress);
                            _expired.RemoveAt(i);
                        }
                        else if (now > deadline)
                        {
                            overdue.Add(slot);
                            _expired.RemoveAt(i);
                        }
                    }
                }

                foreach (var slot in overdue)
                {
                    await slot.Session.DisposeAsync().ConfigureAwait(false);
                    _log.Println("scavenger: session closed due to ttl:", slot.LocalAddress);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutdown.
        }
    }

    // Every SessionWatch.Period (faster than the scavenger, so a dead server costs at most a quarter second more
    // than the silence limit): looks at every live slot and replaces those whose server restarted or went silent.
    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(SessionWatch.Period, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                List<Slot> lost = [];
                lock (_expiredGate)
                {
                    WatchSlotsLocked(_time.GetUtcNow(), lost);
                }

                MemoryTrim.Check(Volatile.Read(ref Kcptun.Diagnostics.TunnelGauges.Global.OpenStreams));

                foreach (var slot in lost)
                {
                    await slot.Session.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutdown.
        }
    }

    // Under _expiredGate. A restarted server's session is closed (its streams are dead anyway) and goes to
    // `lost`; a silent one leaves its slot for the expired list: new streams get a new session at once, the old one
    // keeps its streams until smux's keep-alive or the TTL ends it, so a false alarm costs a session, not streams.
    private void WatchSlotsLocked(DateTimeOffset now, List<Slot> lost)
    {
        for (var i = 0; i < _slots.Length; i++)
        {
            var slot = _slots[i];
            if (slot?.Liveness is null || slot.Session.IsClosed)
            {
                continue;
            }

            var liveness = slot.Liveness();
            switch (slot.Watch.Check(liveness))
            {
                case SessionVerdict.NeverAnswered:
                    _log.Write($"no answer from {slot.RemoteAddress} in {SessionWatch.NoAnswerHint.TotalSeconds:0} s: check --key, --crypt and that UDP reaches the server");
                    break;
                case SessionVerdict.PeerRestarted:
                    _log.Write($"session {slot.LocalAddress} -> {slot.RemoteAddress}: the server lost this session (restarted?); closing it, new connections get a new session");
                    _slots[i] = null;
                    _expired.RemoveAll(e => ReferenceEquals(e.Session, slot));
                    lost.Add(slot);
                    break;
                case SessionVerdict.PeerSilent:
                    _log.Write($"session {slot.LocalAddress} -> {slot.RemoteAddress}: no answer for {(liveness.Now - liveness.LastReceived) / 1000.0:0.0} s with data waiting; new connections get a new session");
                    _slots[i] = null;
                    if (!_expired.Exists(e => ReferenceEquals(e.Session, slot)))
                    {
                        _expired.Add((slot, now + _settings.ScavengeTtl));
                    }

                    break;
            }
        }
    }

    private void StreamLine(string message)
    {
        if (!_settings.Quiet)
        {
            _log.Write(message);
        }
    }

    private sealed record Slot(SmuxSession Session, DateTimeOffset Expiry, string LocalAddress, string RemoteAddress)
    {
        public Func<KcpLiveness>? Liveness { get; init; }

        public SessionWatch Watch { get; } = new();
    }
}
