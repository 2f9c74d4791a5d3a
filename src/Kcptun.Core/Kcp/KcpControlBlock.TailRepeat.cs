namespace Kcptun.Kcp;

// Sending the last data of a burst twice under --cc bbr (issue 11, latency under load).
public sealed partial class KcpControlBlock
{
    /// <summary>Ms of sending per repetition the budget earns (at most 50 repeated datagrams a second).</summary>
    public const int TailRepeatCreditMilliseconds = 20;

    /// <summary>Most repetitions the budget saves up (a few requests in a row after a quiet spell).</summary>
    private const double TailRepeatCreditLimit = 4;

    /// <summary>
    /// Most segments in flight (the tail included) for a tail to be repeated: a sparse sender (requests, replies,
    /// keystrokes). A bulk sender's queue runs dry now and then too, but its tail has a round trip of data ahead of it
    /// whose ACKs keep coming, and its FEC groups fill at once.
    /// </summary>
    public const int TailRepeatMaxInFlight = 8;

    private int _tailDataOffset = -1;   // where the data segments of the datagram being built start (-1: none yet)
    private int _tailDataSegments;      // how many there are
    private bool _burstEnded;           // the last paced flush sent all the send queue held
    private bool _repeatTailData;
    private double _tailRepeatCredit = TailRepeatCreditLimit;
    private uint _tailRepeatStamp;
    private bool _tailRepeatStarted;
    private byte[] _tailRepeatBuffer = [];
    private long _tailRepeats;

    /// <summary>
    /// Under <see cref="Congestion.CongestionControl.Bbr"/>: when a paced flush sent everything the send queue held
    /// (the end of a burst: a request, a reply, a transfer's last segments), the data segments of its last datagram go
    /// out once more in a datagram of their own, at most one such datagram per <see cref="TailRepeatCreditMilliseconds"/>
    /// on average. Nothing sent after them can repair their loss quickly: no later segment's ACK counts a fast
    /// retransmission, and the FEC group they started completes only when enough later datagrams went out (on the
    /// ACK-only side of a download, 13 datagrams take 40-80 ms). So a lost request waited that long or KCP's
    /// retransmission timeout (about 1.3 RTT); with the copy it waits only if both are lost. The copy is an ordinary
    /// retransmission on the wire (same sn, same ts), which every KCP receiver drops as a duplicate once it has the
    /// first; it is not counted as a transmission (no RTT or delivery sample changes), and it spends pacing budget.
    /// False by default; <see cref="Transport.KcpSession"/> turns it on under bbr.
    /// </summary>
    public bool RepeatTailData
    {
        get => _repeatTailData;
        set => _repeatTailData = value && _bbr is not null;
    }

    /// <summary>Datagrams sent as a burst's repeated tail (<see cref="RepeatTailData"/>).</summary>
    public long TailRepeats => _tailRepeats;

    /// <summary>A data segment is about to be written at <paramref name="offset"/> of the datagram being built.</summary>
    private void NoteDataWritten(int offset)
    {
        if (_tailDataOffset < 0)
        {
            _tailDataOffset = offset;
            _tailDataSegments = 0;
        }

        _tailDataSegments++;
    }

    /// <summary>The datagram being built was emitted: its data segments are gone.</summary>
    private void ForgetTailData() => _tailDataOffset = -1;

    /// <summary>
    /// After a paced flush, before its last datagram is emitted: when the burst ended there (<paramref name="tail"/>)
    /// and the budget allows, keeps a copy of that datagram's data segments to emit after it.
    /// </summary>
    private int PrepareTailRepeat(byte[] buffer, int offset, uint now, bool tail)
    {
        var start = _tailDataOffset;
        _tailDataOffset = -1;
        if (!_repeatTailData)
        {
            return 0;
        }

        tail &= (int)(_sendNext - _sendUnacknowledged) <= TailRepeatMaxInFlight;

        var elapsed = _tailRepeatStarted ? Math.Max((int)(now - _tailRepeatStamp), 0) : 0;
        _tailRepeatStarted = true;
        _tailRepeatStamp = now;
        _tailRepeatCredit = Math.Min(TailRepeatCreditLimit, _tailRepeatCredit + ((double)elapsed / TailRepeatCreditMilliseconds));
        if (!tail || start < 0 || offset <= start || _tailRepeatCredit < 1)
        {
            return 0;
        }

        var length = offset - start;
        if (_tailRepeatBuffer.Length < _reserved + length + OutputSlack)
        {
            _tailRepeatBuffer = new byte[Math.Max(_outputBuffer.Length, _reserved + length + OutputSlack)];
        }

        buffer.AsSpan(start, length).CopyTo(_tailRepeatBuffer.AsSpan(_reserved));
        _tailRepeatCredit--;
        _paceBudget -= length;
        return length;
    }

    /// <summary>Emits the copy <see cref="PrepareTailRepeat"/> kept (its length), after the datagram it repeats; returns its segments.</summary>
    private long EmitTailRepeat(int length)
    {
        if (length <= 0)
        {
            return 0;
        }

        _tailRepeats++;
        _output(_tailRepeatBuffer, _reserved + length);
        return _tailDataSegments;
    }
}
