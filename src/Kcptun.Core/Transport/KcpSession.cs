using Kcptun.IO;
using Kcptun.Threading;
using System.Net;
using System.Net.Sockets;
using Kcptun.Crypto;
using Kcptun.Diagnostics;
using Kcptun.Kcp;
using Kcptun.Kcp.Congestion;

namespace Kcptun.Transport;

/// <summary>
/// One KCP conversation over UDP as a duplex byte <see cref="Stream"/> (docs/protocol/crypto.md §4, kcp.md §6.11, 6.12, 7.2).
/// Reads wait for data and return 0 once the session is closed; writes wait while KCP's send queue is at the
/// window (as kcp-go) and flush at once. Dispose sends one final flush: KCP has no close segment, the peer only
/// notices through smux keepalives. A <see cref="KcpScheduler"/> (the process-wide one unless the options name
/// another) drives the periodic flush on the session's <see cref="KcpClock"/>; KCP state is
/// only touched under the session lock, and datagrams leave in the order KCP produced them: what one KCP call
/// (flush, or input that flushes ACKs) outputs is collected in a <see cref="DatagramBatch"/>, sealed at once and
/// sent with one sendmmsg where the platform has it, before the lock is released.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1710:Identifiers should have correct suffix",
    Justification = "The name is pinned by ARCHITECTURE.md (kcp-go's UDPSession); the type is a session first.")]
public sealed partial class KcpSession : DuplexStream, IScheduledUpdate, IDatagramSink, IWriteReadiness
{
    private readonly Lock _gate = new();
    private readonly KcpControlBlock _kcp;
    private readonly KcpClock _clock;
    private readonly KcpScheduler _scheduler;
    private readonly PacketPipeline _pipeline;
    private readonly PacketProtection _protection;
    private readonly IDatagramTransport _transport;
    private readonly KcpListener? _listener;
    private readonly Action<string>? _log;
    private readonly SendPacer? _pacer;
    private readonly WireSink _wire;
    private readonly AsyncSignal _readable = new();
    private readonly AsyncSignal _writable = new();
    private readonly SemaphoreSlim _readGate = new(1, 1);
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private int _closed;
    private long _flushDue; // _clock milliseconds when the periodic flush is next due; under _gate
    private bool _buffersReleased;
    private int _sendErrorLogged;
    private Exception? _transportError;
    private readonly SnmpTotals _totals;
    private Func<bool>? _latencySensitive; // under _gate

    internal KcpSession(uint conversation, IDatagramTransport transport, SocketAddress remoteAddress, EndPoint remoteEndPoint,
        KcpSessionOptions options, KcpListener? listener)
    {
        Conversation = conversation;
        _transport = transport;
        RemoteAddress = remoteAddress;
        RemoteEndPoint = remoteEndPoint;
        _listener = listener;
        _log = options.Log;
        _clock = KcpClock.For(options.TimeProvider);
        _scheduler = options.Scheduler ?? KcpScheduler.Shared;
        _totals = options.Totals;
        _protection = options.ProtectionFactory();
        _wire = new WireSink(this);
        if (options.RateLimit > 0)
        {
            _pacer = new SendPacer(options.RateLimit, options.TimeProvider);
        }

        _pipeline = new PacketPipeline(_protection, options, Counters, this, new DatagramBatch(SendBatchSize));
        _kcp = new KcpControlBlock(conversation, _pipeline.Output, _pipeline.ReservedSize, Counters);

        // The order kcptun applies them (section 7.2); MTU above 1500 is ignored as in Debian kcp-go.
        _kcp.StreamMode = options.StreamMode;
        _kcp.FlushOptions = options.KcpFlushOptions;
        _kcp.AckNoDelay = options.AckNoDelay;
        _kcp.SetWindowSize(options.SendWindow, options.ReceiveWindow);
        if (options.Mtu <= KcpSessionOptions.MaxDatagramSize)
        {
            _kcp.SetMtu(options.Mtu - _pipeline.TrailerSize);
        }

        _kcp.CongestionControl = options.CongestionControl;
        _kcp.AdaptiveReceiveWindow = options.AdaptiveReceiveWindow && options.CongestionControl == CongestionControl.Bbr;
        _kcp.RepeatTailData = options.RepeatTailData;

        TransportCounters.SessionOpened(Counters, _totals, active: listener is null);
    }

    /// <summary>Hands the session to its scheduler, which runs its periodic flush from now until it closes.</summary>
    internal void StartUpdates() => _scheduler.Schedule(this);

    /// <summary>Datagrams collected before one sendmmsg; a longer flush sends several batches.</summary>
    internal const int SendBatchSize = 32;

    /// <summary>The KCP conversation id (random for a dialled session, the peer's for an accepted one).</summary>
    public uint Conversation { get; }

    /// <summary>The peer's address.</summary>
    public EndPoint RemoteEndPoint { get; }

    /// <summary>The local address of the UDP socket (shared with the listener for an accepted session).</summary>
    public EndPoint LocalEndPoint => _transport.LocalEndPoint;

    /// <summary>This session's counters, attached to <see cref="KcpSessionOptions.Totals"/> while it is open.</summary>
    public SnmpCounters Counters { get; } = new();

    /// <summary>True once the session is closed (disposed, replaced by a new client on the same address, or its listener closed).</summary>
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    internal SocketAddress RemoteAddress { get; }

    /// <summary>Current KCP MTU (including the reserved header bytes), for tests and diagnostics.</summary>
    internal int KcpMtu
    {
        get
        {
            lock (_gate)
            {
                return _kcp.Mtu;
            }
        }
    }

    /// <summary>
    /// Segment buffers KCP holds (queued, in flight, received, pooled): tests check it drops to 0 once closed.
    /// </summary>
    internal int HeldSegmentBuffers
    {
        get
        {
            lock (_gate)
            {
                return _kcp.WaitingToSend + _kcp.ReceiveQueueCount + _kcp.ReceiveBufferCount + _kcp.PooledBuffers;
            }
        }
    }

    /// <summary>Feeds one opened payload (at least 24 bytes) from the receive loop into KCP.</summary>
    internal void InputPayload(ReadOnlySpan<byte> payload)
    {
        bool readable, writable;
        lock (_gate)
        {
            if (IsClosed)
            {
                return;
            }

            ObservePeerLocked(payload);
            long now = _clock.NowMilliseconds;
            _pipeline.Input(payload, _kcp, now);
            FlushIfDueLocked(now);
            _pipeline.SendPending();
            TrackProgressLocked();
            readable = _kcp.PeekSize() > 0;
            writable = CanQueueLocked();
        }

        if (readable)
        {
            _readable.Set();
        }

        if (writable)
        {
            _writable.Set();
        }
    }

    /// <summary>
    /// Whether someone waits behind the session's one byte stream (the tunnel passes
    /// <see cref="Kcptun.Smux.SmuxSession.StreamsInterleaved"/>). Under adaptive FEC, asked at each parity decision:
    /// then the sender repairs by parity what it would otherwise leave to retransmission (docs/fec-adaptive.md). Under
    /// bbr, asked at each write check: then KCP's send queue holds
    /// <see cref="KcpControlBlock.ShortSendQueueMilliseconds"/> of the pacing rate instead of
    /// <see cref="KcpControlBlock.SendQueueMilliseconds"/>.
    /// </summary>
    public Func<bool>? LatencySensitive
    {
        set
        {
            lock (_gate)
            {
                _latencySensitive = value;
                if (_pipeline.AdaptiveParity is { } adaptive)
                {
                    adaptive.LatencySensitive = value;
                }
            }
        }
    }

    /// <summary>
    /// The sending side's FEC: parity per group now (null when FEC is off), its range so far (equal to P when not
    /// adaptive), parity datagrams and groups sent. Tests and diagnostics.
    /// </summary>
    internal FecSendStats FecSend
    {
        get
        {
            lock (_gate)
            {
                var adaptive = _pipeline.AdaptiveParity;
                return new FecSendStats(adaptive?.ParityShards, adaptive?.MinParitySeen, adaptive?.MaxParitySeen,
                    adaptive?.EstimatedLoss ?? 0, _pipeline.ParityDatagramsSent, _pipeline.FecGroupsSent);
            }
        }
    }

    /// <summary>Datagrams waiting for pacing tokens (tests and diagnostics); 0 when unpaced.</summary>
    internal int PacedBacklog
    {
        get
        {
            lock (_gate)
            {
                return _pacer?.Queued ?? 0;
            }
        }
    }

    long IScheduledUpdate.RunUpdate()
    {
        long delay;
        bool writable;
        lock (_gate)
        {
            if (IsClosed)
            {
                return -1;
            }

            if (_pacer is null)
            {
                // The receive path may have run the periodic flush since this update was armed.
                long now = _clock.NowMilliseconds;
                delay = now < _flushDue ? _flushDue - now : FlushPeriodicLocked(now);
            }
            else
            {
                // Release what the bucket allows; flush KCP only once no backlog waits, then come back when the
                // next waiting datagram fits or KCP wants its next update, whichever is sooner.
                TimeSpan wait = _pacer.Drain(_wire);
                if (_pacer.HasBacklog)
                {
                    delay = ToDelay(wait);
                }
                else
                {
                    delay = FlushAndSendLocked(_clock.Now);
                    wait = _pacer.Drain(_wire);
                    if (_pacer.HasBacklog)
                    {
                        delay = Math.Min(delay, ToDelay(wait));
                    }
                }
            }

            writable = CanQueueLocked();
        }

        if (writable)
        {
            _writable.Set();
        }

        return delay;
    }

    /// <summary>
    /// Runs the periodic flush from the receive path when it is due. Under load the scheduler thread has to be woken
    /// and wait for a CPU, often tens of milliseconds past the interval, while the receive thread is running anyway
    /// while datagrams arrive: flushing here keeps ACKs within the interval (late ACKs made the peer retransmit
    /// segments that had arrived: its RTO is 30 ms in the fast modes). Never more often than the interval: the
    /// scheduler's next update only flushes if no datagram ran it first. Unpaced sessions only (the pacer owns the
    /// timing of paced ones).
    /// </summary>
    private void FlushIfDueLocked(long now)
    {
        if (_pacer is null)
        {
            if (now >= _flushDue)
            {
                FlushPeriodicLocked(now);
            }
        }
    }

    /// <summary>A full flush at <paramref name="now"/>; records when the next one is due and returns the delay until then.</summary>
    private long FlushPeriodicLocked(long now)
    {
        long delay = FlushAndSendLocked(unchecked((uint)now));
        _flushDue = now + delay;
        return delay;
    }

    /// <summary>KCP's full flush, then the batch of datagrams it output leaves; returns KCP's delay to the next flush.</summary>
    private uint FlushAndSendLocked(uint now)
    {
        uint delay = _kcp.Flush(now);
        _pipeline.ObserveSender(_kcp);
        _pipeline.SendPending();
        TrackProgressLocked();
        return delay;
    }

    private static long ToDelay(TimeSpan wait) => Math.Max(1, (long)Math.Ceiling(wait.TotalMilliseconds));

    /// <summary>KCP's flush outside the scheduler (writes): skipped while paced datagrams wait, see <see cref="SendPacer"/>.</summary>
    private void FlushLocked()
    {
        if (_pacer is null || !_pacer.HasBacklog)
        {
            long now = _clock.NowMilliseconds;
            uint delay = FlushAndSendLocked(unchecked((uint)now));
            if (_kcp.CongestionControl == CongestionControl.Bbr)
            {
                // Paced: what the budget held back is due in a few ms; the receive path flushes it then (the
                // scheduler's update stays armed for its own, later time).
                _flushDue = Math.Min(_flushDue, now + delay);
            }
        }
    }

    void IDatagramSink.Send(ReadOnlySpan<byte> datagram)
    {
        if (_pacer is null)
        {
            SendNow(datagram);
        }
        else
        {
            // False only past the queue bound (see SendPacer): the datagram is dropped and KCP resends it.
            _ = _pacer.Submit(datagram, _wire);
        }
    }

    void IDatagramSink.SendBatch(DatagramBatch batch)
    {
        // Paced: the datagrams the bucket lets through now are a prefix of the batch; the pacer keeps copies of the rest.
        int now = _pacer is null ? batch.Count : _pacer.SubmitBatch(batch);
        if (now == 0)
        {
            return;
        }

        NoteSent();
        int sent = _transport.SendBatch(batch, 0, now, RemoteAddress, out long bytes, out SocketError error);
        Interlocked.Add(ref Counters.OutPkts, sent);
        Interlocked.Add(ref Counters.OutBytes, bytes);
        if (sent < now)
        {
            LogSendError(error);
        }
    }

    private void SendNow(ReadOnlySpan<byte> datagram)
    {
        NoteSent();
        if (_transport.TrySend(datagram, RemoteAddress, out SocketError error))
        {
            Interlocked.Increment(ref Counters.OutPkts);
            Interlocked.Add(ref Counters.OutBytes, datagram.Length);
        }
        else
        {
            LogSendError(error);
        }
    }

    private void LogSendError(SocketError error)
    {
        if (Interlocked.Exchange(ref _sendErrorLogged, 1) == 0)
        {
            _log?.Invoke($"kcp session {Conversation:x8} to {RemoteEndPoint}: send failed: {error} (further send errors not logged)");
        }
    }

    /// <summary>
    /// kcp-go's write condition: waiting segments below both the send and the remote window (under bbr the remote
    /// window plus its reach, <see cref="KcpControlBlock.SendLimitSegments"/>); under bbr also the send
    /// queue's own bound, short while <see cref="LatencySensitive"/> says someone waits behind it.
    /// </summary>
    private bool CanQueueLocked() => QueueRoomLocked() > 0;

    /// <summary>Segments a write may add before the first bound <see cref="CanQueueLocked"/> checks (0 or less: none).</summary>
    private int QueueRoomLocked()
    {
        _kcp.LatencySensitive = _latencySensitive?.Invoke() == true;
        int window = _kcp.SendLimitSegments - _kcp.WaitingToSend;
        return Math.Min(window, _kcp.SendQueueRoomSegments);
    }

    /// <summary>Marks the socket broken (fatal receive error): reads and writes fail from now on.</summary>
    internal void OnTransportError(Exception error)
    {
        Interlocked.CompareExchange(ref _transportError, error, null);
        _readable.Set();
        _writable.Set();
    }

    /// <summary>Closes the session: one final flush, then no more KCP activity. Idempotent.</summary>
    internal void CloseCore()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        lock (_gate)
        {
            FlushAndSendLocked(_clock.Now);
            if (_pacer is not null)
            {
                // No scheduler update follows a close: what the bucket allows leaves now, the rest is dropped,
                // like any data KCP still held unacknowledged.
                _pacer.Drain(_wire);
                _pacer.Clear();
            }

            // Nothing touches KCP after this (every path checks IsClosed under the lock): let its segments go.
            _kcp.ReleaseBuffers();
            _buffersReleased = true;
        }

        TransportCounters.SessionClosed(Counters, _totals);
        _readable.Set();
        _writable.Set();
        if (_listener is null)
        {
            _transport.Dispose();
        }
        else
        {
            _listener.Forget(this);
        }
    }

    /// <summary>The socket end of the send path, for the pacer to release datagrams through.</summary>
    private sealed class WireSink(KcpSession session) : IDatagramSink
    {
        public void Send(ReadOnlySpan<byte> datagram) => session.SendNow(datagram);
    }
}
