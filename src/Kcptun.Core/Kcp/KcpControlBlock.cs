using System.Numerics;
using Kcptun.Diagnostics;

namespace Kcptun.Kcp;

/// <summary>
/// The KCP protocol state machine as implemented by kcp-go 5.6.1 (docs/protocol/kcp.md §6 and 7): bytes and a
/// millisecond clock go in, datagrams come out through <see cref="KcpOutput"/>. It owns no socket, timer, thread or
/// task; the owner drives it (<see cref="Flush"/> when its return value says so, <see cref="Input"/> per datagram)
/// and serialises every call. Not thread-safe.
/// </summary>
public sealed partial class KcpControlBlock
{
    /// <summary>Default MTU of a new control block (Go: IKCP_MTU_DEF).</summary>
    public const int DefaultMtu = 1400;

    /// <summary>Smallest MTU <see cref="SetMtu"/> accepts.</summary>
    public const int MinimumMtu = 50;

    /// <summary>Largest MTU <see cref="SetMtu"/> accepts (a UDP datagram limit; kcptun itself stops at 1500).</summary>
    public const int MaximumMtu = 65507;

    /// <summary>Spare bytes past <see cref="Mtu"/> in the output buffer, for a trailer such as a GCM tag.</summary>
    public const int OutputSlack = 32;

    /// <summary>kcp-go's flush interval in milliseconds (IKCP_INTERVAL), the default of <see cref="KcpFlushOptions.Interval"/>.</summary>
    public const int DefaultInterval = 100;

    /// <summary>Largest receive window: the wire field that advertises it has 16 bits.</summary>
    public const int MaximumReceiveWindow = ushort.MaxValue;

    /// <summary>Send error: a message-mode send would need more than 255 fragments.</summary>
    public const int ErrorTooManyFragments = -2;

    /// <summary>Receive error: message mode, the next message is larger than the caller's buffer.</summary>
    public const int ErrorBufferTooSmall = -2;

    private const uint RtoNoDelayMinimum = 30;   // IKCP_RTO_NDL
    private const uint RtoMinimum = 100;         // IKCP_RTO_MIN
    private const uint RtoDefault = 200;         // IKCP_RTO_DEF
    private const uint RtoMaximum = 60000;       // IKCP_RTO_MAX
    private const uint DefaultWindow = 32;       // IKCP_WND_SND / IKCP_WND_RCV
    private const uint DeadLinkTransmissions = 20;
    private const uint SlowStartThresholdInitial = 2;
    private const uint SlowStartThresholdMinimum = 2;
    private const uint ProbeInitial = 7000;      // IKCP_PROBE_INIT
    private const uint ProbeLimit = 120000;      // IKCP_PROBE_LIMIT
    private const int AskSend = 1;               // a WASK is due
    private const int AskTell = 2;               // a WINS is due
    private const int MinimumPoolBufferSize = 1500;
    private const int PoolSlack = 64;            // segments one write may queue beyond the send window
    private const uint PoolTrimPeriod = 5000;    // ms between giving back segment buffers no rent needed

    private readonly KcpOutput _output;
    private readonly SnmpCounters? _counters;
    private readonly int _reserved;
    private readonly SegmentBufferPool _pool;

    private readonly SegmentRing _sendQueue = new(64);     // snd_queue: accepted, no sn yet
    private readonly SegmentRing _sendBuffer = new(64);    // snd_buf: sn contiguous from _sendUnacknowledged
    private readonly SegmentRing _receiveQueue = new(64);  // rcv_queue: in order, ready for the application
    private KcpSegment[] _receiveSlots;                    // rcv_buf: out of order, slot = sn & mask
    private int _receiveBufferCount;
    private AckItem[] _ackList = new AckItem[64];
    private int _ackCount;

    private byte[] _outputBuffer;
    private int _mtu = DefaultMtu;
    private int _mss;

    private uint _sendUnacknowledged;   // snd_una
    private uint _sendNext;             // snd_nxt
    private uint _receiveNext;          // rcv_nxt
    private uint _slowStartThreshold = SlowStartThresholdInitial;
    private int _rttVariance;           // rx_rttvar
    private int _smoothedRtt;           // rx_srtt
    private uint _rto = RtoDefault;     // rx_rto
    private uint _minimumRto = RtoMinimum;
    private uint _sendWindow = DefaultWindow;
    private uint _receiveWindow = DefaultWindow;
    private uint _remoteWindow = DefaultWindow;
    private uint _congestionWindow;
    private uint _congestionIncrement;  // incr
    private int _probe;
    private uint _probeAt;              // ts_probe
    private uint _poolTrimAt;           // when Flush next trims the segment buffer pool (0: not scheduled)
    private uint _probeWait;
    private uint _interval = (uint)DefaultInterval;
    private uint _noDelay;
    private int _fastResend;
    private int _fastAckScanStart;      // send-buffer index before which every segment is acked or fastack-saturated
    private bool _noCongestionControl;
    private bool _deadLink;
    private bool _hasRttSample;
    private uint _lastSampledTimestamp; // the echoed ts of the last RTT sample taken

    private int _receiveOffset;         // bytes of the front rcv_queue segment already handed out (stream mode)
    private long _receiveQueueBytes;    // data bytes in rcv_queue, including the consumed prefix

    /// <summary>Creates a control block with kcp-go's defaults (message mode, MTU 1400, windows 32/32, interval 100).</summary>
    /// <param name="conversation">The conversation id carried in every segment.</param>
    /// <param name="output">Called for every datagram produced, synchronously from the flushes and inputs.</param>
    /// <param name="reserved">Bytes left free at the front of each datagram for outer headers (Go: ReserveBytes).</param>
    /// <param name="counters">The owner's counters to increment (segments in/out, retransmissions, repeats); null: none.</param>
    public KcpControlBlock(uint conversation, KcpOutput output, int reserved = 0, SnmpCounters? counters = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfNegative(reserved);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(reserved, DefaultMtu - KcpSegmentHeader.Size);
        Conversation = conversation;
        _output = output;
        _reserved = reserved;
        _counters = counters;
        _mss = DefaultMtu - KcpSegmentHeader.Size - reserved;
        _outputBuffer = new byte[DefaultMtu + OutputSlack];
        _pool = new SegmentBufferPool(Math.Max(DefaultMtu, MinimumPoolBufferSize), PoolLimit());
        _receiveSlots = new KcpSegment[DefaultWindow];
    }

    /// <summary>The conversation id (conv).</summary>
    public uint Conversation { get; }

    /// <summary>Largest datagram produced, including the <c>reserved</c> prefix.</summary>
    public int Mtu => _mtu;

    /// <summary>Largest segment payload: <see cref="Mtu"/> − 24 − reserved.</summary>
    public int Mss => _mss;

    /// <summary>Bytes kept free at the front of every output datagram.</summary>
    public int Reserved => _reserved;

    /// <summary>
    /// Stream mode (kcptun: true): sends coalesce into the last queued segment, frg is 0, and <see cref="Receive"/>
    /// fills the caller's buffer across segment boundaries. Message mode: one send = one message of frg-numbered
    /// fragments, one receive = one whole message.
    /// </summary>
    public bool StreamMode { get; set; }

    /// <summary>Segments not yet acknowledged: send buffer plus send queue (Go: WaitSnd).</summary>
    public int WaitingToSend => _sendBuffer.Count + _sendQueue.Count;

    /// <summary>Send window in segments (snd_wnd).</summary>
    public int SendWindow => (int)_sendWindow;

    /// <summary>Receive window in segments (rcv_wnd).</summary>
    public int ReceiveWindow => (int)_receiveWindow;

    /// <summary>The peer's last advertised free receive window (rmt_wnd; 32 until the peer's first segment).</summary>
    public int RemoteWindow => (int)_remoteWindow;

    /// <summary>Set once any segment has been transmitted 20 times; never cleared (kcptun does not read it).</summary>
    public bool IsDeadLink => _deadLink;

    /// <summary>Flush interval in ms, [10, 5000].</summary>
    public int Interval => (int)_interval;

    /// <summary>The nodelay setting (non-zero: minimum RTO 30 ms and half-RTO back-off).</summary>
    public int NoDelay => (int)_noDelay;

    /// <summary>Duplicate-ACK count that triggers a fast retransmit; 0 disables it.</summary>
    public int FastResend => _fastResend;

    /// <summary>True when congestion control is off (nc = 1): the send window is min(snd_wnd, rmt_wnd).</summary>
    public bool NoCongestionControl => _noCongestionControl;

    /// <summary>Current retransmission timeout in ms (rx_rto).</summary>
    public int RetransmissionTimeout => (int)_rto;

    /// <summary>Minimum retransmission timeout in ms (rx_minrto): 100, or 30 with nodelay.</summary>
    public int MinimumRetransmissionTimeout => (int)_minimumRto;

    /// <summary>Smoothed round-trip time in ms (rx_srtt).</summary>
    public int SmoothedRoundTripTime => _smoothedRtt;

    /// <summary>Round-trip time variation in ms (rx_rttvar).</summary>
    public int RoundTripTimeVariance => _rttVariance;

    /// <summary>Congestion window in segments (cwnd; only used when congestion control is on).</summary>
    public int CongestionWindow => (int)_congestionWindow;

    /// <summary>Slow-start threshold in segments (ssthresh).</summary>
    public int SlowStartThreshold => (int)_slowStartThreshold;

    /// <summary>First unacknowledged sn (snd_una).</summary>
    public uint SendUnacknowledged => _sendUnacknowledged;

    /// <summary>Next sn to assign (snd_nxt).</summary>
    public uint SendNext => _sendNext;

    /// <summary>Next sn expected in order (rcv_nxt).</summary>
    public uint ReceiveNext => _receiveNext;

    /// <summary>ACKs waiting for the next flush.</summary>
    public int PendingAcks => _ackCount;

    /// <summary>Segments in the receive queue (in order, not yet read).</summary>
    public int ReceiveQueueCount => _receiveQueue.Count;

    /// <summary>Segments received out of order, waiting for a gap to fill.</summary>
    public int ReceiveBufferCount => _receiveBufferCount;

    /// <summary>Segment buffers kept for reuse (0 after <see cref="ReleaseBuffers"/>).</summary>
    internal int PooledBuffers => _pool.Retained;

    /// <summary>
    /// Sets the MTU (datagram size including the reserved prefix). Returns false and changes nothing when
    /// <paramref name="mtu"/> is below 50, above <see cref="MaximumMtu"/>, or would leave an mss below 1.
    /// </summary>
    public bool SetMtu(int mtu)
    {
        if (mtu < MinimumMtu || mtu > MaximumMtu || mtu - KcpSegmentHeader.Size - _reserved < 1)
        {
            return false;
        }

        _mtu = mtu;
        _mss = mtu - KcpSegmentHeader.Size - _reserved;
        _outputBuffer = new byte[mtu + OutputSlack];
        _pool.Resize(Math.Max(mtu, MinimumPoolBufferSize));
        ResizeRateController();
        return true;
    }

    /// <summary>
    /// The nodelay, interval, fast-resend and congestion-window settings (kcp-go's NoDelay), read and applied as one
    /// value; <see cref="KcpFlushOptions.Interval"/> is clamped to [10, 5000] when applied.
    /// </summary>
    public KcpFlushOptions FlushOptions
    {
        get => new()
        {
            NoDelay = _noDelay != 0,
            Interval = (int)_interval,
            FastResend = _fastResend,
            UseCongestionWindow = !_noCongestionControl,
        };
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            ArgumentOutOfRangeException.ThrowIfNegative(value.Interval, nameof(value));
            ArgumentOutOfRangeException.ThrowIfNegative(value.FastResend, nameof(value));
            _noDelay = value.NoDelay ? 1u : 0u;
            _minimumRto = value.NoDelay ? RtoNoDelayMinimum : RtoMinimum;
            _interval = (uint)Math.Clamp(value.Interval, 10, 5000);
            if (_fastResend != value.FastResend)
            {
                _fastResend = value.FastResend;
                _fastAckScanStart = 0; // the saturation cap may have risen
            }

            _noCongestionControl = !value.UseCongestionWindow;
        }
    }

    /// <summary>
    /// Flush pending ACKs as soon as an input queues them, instead of at the next <see cref="Flush"/> (kcptun's
    /// <c>--acknodelay</c>).
    /// </summary>
    public bool AckNoDelay { get; set; }

    /// <summary>
    /// Sets the send and receive windows in segments; a value ≤ 0 leaves that window unchanged. The receive window
    /// is capped at <see cref="MaximumReceiveWindow"/> (it is advertised in a 16-bit field).
    /// </summary>
    public void SetWindowSize(int sendWindow, int receiveWindow)
    {
        if (sendWindow > 0)
        {
            _sendWindow = (uint)sendWindow;
        }

        if (receiveWindow > 0 && _receiveWindowCap != 0)
        {
            // Adaptive (bbr): the value is the new cap; the window keeps what it has grown to, up to that.
            _receiveWindowCap = (uint)Math.Min(receiveWindow, MaximumReceiveWindow);
            _receiveWindow = Math.Min(_receiveWindow, _receiveWindowCap);
        }
        else if (receiveWindow > 0)
        {
            _receiveWindow = (uint)Math.Min(receiveWindow, MaximumReceiveWindow);
            if (_receiveWindow > _receiveSlots.Length)
            {
                GrowReceiveSlots();
            }
        }

        _pool.Limit = PoolLimit();
    }

    /// <summary>What the windows can hold at once: the send window (plus one write's overshoot) and the receive window.</summary>
    private int PoolLimit() => (int)Math.Min(_sendWindow + _receiveWindow + PoolSlack, int.MaxValue);

    /// <summary>
    /// Returns every pooled and queued buffer to the garbage collector's care and empties all queues. Call once the
    /// session is closed (after its final flush); the control block must not be used afterwards.
    /// </summary>
    public void ReleaseBuffers()
    {
        while (_sendQueue.Count > 0)
        {
            _sendQueue.PopFront();
        }

        while (_sendBuffer.Count > 0)
        {
            _sendBuffer.PopFront();
        }

        while (_receiveQueue.Count > 0)
        {
            _receiveQueue.PopFront();
        }

        Array.Clear(_receiveSlots);
        _receiveBufferCount = 0;
        _receiveQueueBytes = 0;
        _receiveOffset = 0;
        _ackCount = 0;
        _repeatCount = 0;
        _fastAckScanStart = 0;
        _pool.Clear();
    }

    private void GrowReceiveSlots()
    {
        var larger = new KcpSegment[(int)BitOperations.RoundUpToPowerOf2(_receiveWindow)];
        var oldMask = _receiveSlots.Length - 1;
        var newMask = larger.Length - 1;
        for (var i = 0; i <= oldMask; i++)
        {
            ref var slot = ref _receiveSlots[i];
            if (slot.Data is not null)
            {
                larger[slot.SequenceNumber & newMask] = slot;
            }
        }

        _receiveSlots = larger;
    }

    private static void Add(ref long field, long value) => Interlocked.Add(ref field, value);

    private void Count(long inSegments, long outSegments)
    {
        if (_counters is null)
        {
            return;
        }

        if (inSegments != 0)
        {
            Add(ref _counters.InSegs, inSegments);
        }

        if (outSegments != 0)
        {
            Add(ref _counters.OutSegs, outSegments);
        }
    }

    private void CountRepeats(long repeats)
    {
        if (_counters is not null)
        {
            Add(ref _counters.RepeatSegs, repeats);
        }
    }

    private void CountRetransmissions(long fast, long early, long lost)
    {
        if (_counters is not null)
        {
            CountRetransmissionsOn(_counters, fast, early, lost, fast + early + lost);
        }
    }

    private static void CountRetransmissionsOn(SnmpCounters c, long fast, long early, long lost, long sum)
    {
        if (lost != 0)
        {
            Add(ref c.LostSegs, lost);
        }

        if (fast != 0)
        {
            Add(ref c.FastRetransSegs, fast);
        }

        if (early != 0)
        {
            Add(ref c.EarlyRetransSegs, early);
        }

        Add(ref c.RetransSegs, sum);
    }

    private readonly record struct AckItem(uint SequenceNumber, uint Timestamp);
}
