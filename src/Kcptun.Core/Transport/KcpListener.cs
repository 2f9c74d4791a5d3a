using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Kcptun.Crypto;
using Kcptun.Diagnostics;
using Kcptun.Threading;

namespace Kcptun.Transport;

/// <summary>
/// Accepts KCP sessions on one UDP socket (docs/protocol/kcp.md §6.12): datagrams are opened, then demultiplexed by
/// source address and conversation id. A packet with a conversation id from an unknown address creates a session
/// (if fewer than 128 wait to be accepted); a different conversation with sn 0 from a known address replaces that
/// address's session (a restarted client), any other different conversation is dropped. A new conversation is also
/// dropped while the server holds <see cref="MaxSessions"/> sessions (shared by all its listeners: Go kcptun has no
/// limit, so a peer that holds the key could open sessions from new ports until memory runs out); such drops are
/// counted in <see cref="TunnelGauges.RefusedSessions"/> and logged at most every 5 s. docs/reliability.md gives the
/// memory bound this makes.
/// </summary>
public sealed class KcpListener : IAsyncDisposable, IDatagramReceiver
{
    /// <summary>Sessions created but not yet accepted, at most (kcp-go's acceptBacklog).</summary>
    public const int AcceptBacklog = 128;

    /// <summary>
    /// Sessions one server holds at once, accepted or waiting, across all its listeners: a memory budget of 1 GiB for
    /// the sessions' own state at the ~0.6-0.9 MiB of RSS an idle session with one stream measured (smux, snappy and
    /// datagram buffers, KCP state; docs/reliability.md). There is no flag, as Go kcptun has none; the limit is far
    /// above what clients open (<c>--conn</c> sessions each, plus the expired ones that linger for <c>--scavengettl</c>).
    /// </summary>
    public const int MaxSessions = 1024;

    private const long RefusalLogInterval = 5000;

    private readonly IDatagramTransport _transport;
    private readonly KcpSessionOptions _options;
    private readonly PacketProtection _opener;
    private readonly Lock _sessionsGate = new();
    private readonly Dictionary<SocketAddress, KcpSession> _sessions = [];
    private readonly AdmissionLimit _admission;
    private readonly KcpClock _clock;
    private readonly Channel<KcpSession> _accepts = Channel.CreateBounded<KcpSession>(
        new BoundedChannelOptions(AcceptBacklog) { SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
    private int _disposed;
    private int _faultLogged;

    private KcpListener(IDatagramTransport transport, KcpSessionOptions options, AdmissionLimit? sessions)
    {
        _transport = transport;
        _options = options;
        _opener = options.ProtectionFactory();
        _admission = sessions ?? NewSessionLimit();
        _clock = KcpClock.For(options.TimeProvider);
        options.Totals.Attach(Counters);
    }

    /// <summary>
    /// A session limit several listeners share (those of one server): <paramref name="maximum"/> sessions at once,
    /// refusals logged at most every 5 s.
    /// </summary>
    internal static AdmissionLimit NewSessionLimit(int maximum = MaxSessions) => new(maximum, RefusalLogInterval);

    /// <summary>
    /// Binds a UDP socket to <paramref name="local"/> (port 0 picks a free port; the IPv6 wildcard listens dual
    /// stack), applies socket buffer sizes and DSCP, and starts receiving. With <see cref="KcpSessionOptions.FakeTcp"/>
    /// it listens for fake TCP on that TCP port instead (<see cref="FakeTcp.FakeTcpException"/> without the
    /// capabilities or the firewall tool).
    /// </summary>
    public static KcpListener Start(IPEndPoint local, KcpSessionOptions options) => Start(local, options, null);

    /// <summary>
    /// <see cref="Start(IPEndPoint, KcpSessionOptions)"/> counting its sessions in <paramref name="sessions"/>
    /// (<see cref="NewSessionLimit"/>; null: a limit of <see cref="MaxSessions"/> of its own).
    /// </summary>
    internal static KcpListener Start(IPEndPoint local, KcpSessionOptions options, AdmissionLimit? sessions)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.FakeTcp)
        {
            return Start(FakeTcp.FakeTcpServerTransport.Listen(local, options), options, sessions);
        }

        return Start(DatagramSocket.Create(UdpSocketFactory.CreateListener(local, options), options.BatchIO), options, sessions);
    }

    /// <summary>
    /// Accepts sessions on <paramref name="transport"/> (owned from now on: the listener closes it): what
    /// <see cref="Start(IPEndPoint, KcpSessionOptions)"/> does once it has a socket. Tests pass an in-memory link.
    /// </summary>
    internal static KcpListener Start(IDatagramTransport transport, KcpSessionOptions options, AdmissionLimit? sessions = null)
    {
        KcpListener listener;
        try
        {
            options.Validate();
            listener = new KcpListener(transport, options, sessions);
        }
        catch
        {
            transport.Dispose();
            throw;
        }

        transport.StartReceiving(listener);
        return listener;
    }

    /// <summary>The bound address (with the real port when bound to port 0).</summary>
    public EndPoint LocalEndPoint => _transport.LocalEndPoint;

    /// <summary>
    /// Events counted before a datagram reaches a session (bad CRC, too short, dropped for a full backlog or a
    /// conversation mismatch), attached to <see cref="KcpSessionOptions.Totals"/> until the listener is disposed;
    /// sessions count the rest.
    /// </summary>
    public SnmpCounters Counters { get; } = new();

    /// <summary>Open sessions of this listener, accepted or waiting to be.</summary>
    public int SessionCount
    {
        get
        {
            lock (_sessionsGate)
            {
                return _sessions.Count;
            }
        }
    }

    /// <summary>Waits for the next new session. Throws <see cref="ObjectDisposedException"/> once the listener is closed.</summary>
    public async ValueTask<KcpSession> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _accepts.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(nameof(KcpListener));
        }
    }

    void IDatagramReceiver.OnDatagram(Span<byte> datagram, SocketAddress source)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        if (!PacketPipeline.TryOpen(_opener, datagram, Counters, out Span<byte> payload))
        {
            return;
        }

        bool hasConversation = PacketPipeline.TryReadConversation(payload, out uint conversation, out uint sequence);
        KcpSession? session;
        lock (_sessionsGate)
        {
            _sessions.TryGetValue(source, out session);
        }

        if (session is not null)
        {
            if (!hasConversation || conversation == session.Conversation)
            {
                session.InputPayload(payload);
                return;
            }

            if (sequence != 0)
            {
                Interlocked.Increment(ref Counters.InErrs);
                return;
            }

            // A restarted client on the same address: the old session goes, this packet starts a new one.
            session.CloseCore();
        }

        if (!hasConversation)
        {
            Interlocked.Increment(ref Counters.InErrs);
            return;
        }

        if (_accepts.Reader.Count >= AcceptBacklog || !_admission.TryEnter())
        {
            Refuse();
            return;
        }

        SocketAddress key = SocketAddresses.Copy(source);
        session = new KcpSession(conversation, _transport, key, SocketAddresses.ToEndPoint(key), _options, this);
        lock (_sessionsGate)
        {
            _sessions[key] = session;
        }

        session.InputPayload(payload);
        session.StartUpdates();
        if (!_accepts.Writer.TryWrite(session))
        {
            // Only when the listener closed meanwhile (the backlog was checked above and this is the only writer).
            session.CloseCore();
        }
    }

    // A new conversation the server does not take (session limit reached, or the accept backlog full): dropped, as
    // kcp-go drops one beyond its backlog; the client's retransmissions try again.
    private void Refuse()
    {
        Interlocked.Increment(ref Counters.InErrs);
        Interlocked.Increment(ref TunnelGauges.Global.RefusedSessions);
        long refused = _admission.NoteRefused(_clock.NowMilliseconds);
        if (refused > 0)
        {
            _options.Log?.Invoke($"kcp listener {LocalEndPoint}: {_admission.Open} sessions open (limit {_admission.Limit}), " +
                $"{_accepts.Reader.Count} waiting to be accepted (limit {AcceptBacklog}): dropped {refused} datagram(s) opening new sessions");
        }
    }

    void IDatagramReceiver.OnReceiveError(SocketError error) =>
        Interlocked.Increment(ref Counters.InErrs);

    void IDatagramReceiver.OnDatagramFault(Exception fault)
    {
        Interlocked.Increment(ref Counters.InErrs);
        if (Interlocked.Exchange(ref _faultLogged, 1) == 0)
        {
            _options.Log?.Invoke($"kcp listener {LocalEndPoint}: datagram handling failed: {fault}");
        }
    }

    void IDatagramReceiver.OnReceiveStopped(Exception? error)
    {
        if (error is null)
        {
            return;
        }

        _options.Log?.Invoke($"kcp listener {LocalEndPoint}: receive failed: {error.Message}");
        foreach (KcpSession session in SnapshotSessions())
        {
            session.OnTransportError(error);
        }

        _accepts.Writer.TryComplete();
    }

    /// <summary>Called by a closing session: it no longer owns its address.</summary>
    internal void Forget(KcpSession session)
    {
        lock (_sessionsGate)
        {
            if (_sessions.TryGetValue(session.RemoteAddress, out KcpSession? current) && ReferenceEquals(current, session))
            {
                _sessions.Remove(session.RemoteAddress);
                _admission.Exit();
            }
        }
    }

    private KcpSession[] SnapshotSessions()
    {
        lock (_sessionsGate)
        {
            return [.. _sessions.Values];
        }
    }

    /// <summary>Stops receiving and closes every session of this listener (each with its final flush), then the socket.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _accepts.Writer.TryComplete();
        foreach (KcpSession session in SnapshotSessions())
        {
            session.CloseCore();
        }

        _transport.Dispose();
        await _transport.ReceiveLoop.ConfigureAwait(false);
        while (_accepts.Reader.TryRead(out KcpSession? pending))
        {
            pending.CloseCore();
        }

        _options.Totals.Detach(Counters);
    }
}
