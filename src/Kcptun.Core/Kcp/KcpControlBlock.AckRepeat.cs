namespace Kcptun.Kcp;

// Repeated ACKs under --cc bbr (issue 11): a lost ACK datagram makes the sender resend every segment it acknowledged.
public sealed partial class KcpControlBlock
{
    /// <summary>
    /// Share of arriving data segments that are duplicates (this side already had them) above which ACKs start to be
    /// repeated. A duplicate is a resend the peer did not need: its first copy arrived but the ACK did not come back,
    /// or FEC rebuilt it after the peer gave up waiting. On 200 ms / 50 Mbit/s at 10% loss each way, 5% of what
    /// arrived were duplicates (0.7% at 1% loss), most of them from lost ACK datagrams: every ACK of a lost datagram
    /// leaves a hole at the sender that the next datagram's ACKs of later segments turn into a fast retransmission.
    /// </summary>
    public const double AckRepeatStartShare = 0.02;

    /// <summary>
    /// Share of duplicates below which repeating stops again. Far below the start: repeating removes most of the
    /// duplicates that turned it on, and stopping at the start share made it flap (each stop let the next lost ACK
    /// datagram through, 40-50 needless resends at a time on the fake-clock path at 10% loss).
    /// </summary>
    public const double AckRepeatStopShare = 0.0025;

    private const int ArrivalWindowSegments = 4096;     // arrivals over which the duplicate share is judged (halved at the end)
    private const int MinimumArrivals = 1024;          // fewer say little (a first flight's timeout resends on a long path)

    private AckItem[] _repeatList = new AckItem[64];
    private int _repeatCount;
    private int _arrivals;
    private int _duplicateArrivals;
    private bool _repeatingAcks;

    /// <summary>
    /// True while this side repeats each ACK once, in its next datagram of ACKs, ahead of that datagram's new ACKs
    /// (bbr only; from when more than <see cref="AckRepeatStartShare"/> of the arriving data segments were duplicates
    /// until fewer than <see cref="AckRepeatStopShare"/> are). A lost ACK datagram is then made good by the next one
    /// before the ACKs of later segments in it count the sender's fast-retransmission evidence. Nothing new on the
    /// wire: a repeated ACK is an ordinary ACK of a segment the sender may already have marked. Our sender counts no
    /// fast-ack evidence from it; a kcp-go sender counts one more for each earlier segment still missing (it already
    /// resends on one in its early retransmit), and its one RTT sample per datagram comes from the datagram's last
    /// ACK, a new one whenever there is one. The cost is the ACK bytes once more on the way back (24 bytes per data
    /// segment) while the path loses enough to need it.
    /// </summary>
    public bool RepeatingAcks => _repeatingAcks;

    /// <summary>Counts one arriving data segment (<paramref name="duplicate"/>: this side already had it).</summary>
    private void NoteArrival(bool duplicate)
    {
        _arrivals++;
        if (duplicate)
        {
            _duplicateArrivals++;
        }

        if (_arrivals < MinimumArrivals)
        {
            return;
        }

        if (!_repeatingAcks)
        {
            _repeatingAcks = _duplicateArrivals > AckRepeatStartShare * _arrivals;
        }
        else if (_duplicateArrivals < AckRepeatStopShare * _arrivals)
        {
            _repeatingAcks = false;
        }

        if (_arrivals >= ArrivalWindowSegments)
        {
            _arrivals /= 2;
            _duplicateArrivals /= 2;
        }
    }

    /// <summary>Writes the ACKs of the last datagram of ACKs again, those una does not cover yet.</summary>
    private int WriteRepeatedAcks(byte[] buffer, int offset, ushort window, uint una, ref long outSegments)
    {
        for (var i = 0; i < _repeatCount; i++)
        {
            var ack = _repeatList[i];
            if ((int)(ack.SequenceNumber - _receiveNext) < 0)
            {
                continue;
            }

            offset = MakeSpace(buffer, offset, KcpSegmentHeader.Size);
            KcpSegmentHeader.Write(buffer.AsSpan(offset), Conversation, KcpCommand.Ack, 0, window, ack.Timestamp, ack.SequenceNumber, una, 0);
            offset += KcpSegmentHeader.Size;
            outSegments++;
        }

        _repeatCount = 0;
        return offset;
    }

    /// <summary>Keeps the ACKs just written for one repetition, while <see cref="RepeatingAcks"/>.</summary>
    private void KeepAcksForRepeat(int ackCount)
    {
        if (!RepeatingAcks)
        {
            _repeatCount = 0;
            return;
        }

        if (_repeatList.Length < ackCount)
        {
            _repeatList = new AckItem[_ackList.Length];
        }

        _ackList.AsSpan(0, ackCount).CopyTo(_repeatList);
        _repeatCount = ackCount;
    }
}
