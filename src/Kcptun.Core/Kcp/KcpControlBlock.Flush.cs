namespace Kcptun.Kcp;

// Building outgoing datagrams (docs/protocol/kcp.md §6.5), window probing (6.9) and the congestion update (6.8).
public sealed partial class KcpControlBlock
{
    /// <summary>
    /// Writes pending ACKs, window probes, newly admitted segments and due retransmissions, packing segments into
    /// datagrams of at most <see cref="Mtu"/> bytes passed to the output.
    /// </summary>
    /// <param name="now">The millisecond clock; it becomes the ts of every PUSH sent.</param>
    /// <returns>Milliseconds until the next flush is due: at most <see cref="Interval"/>, earlier if a
    /// retransmission falls due sooner.</returns>
    public uint Flush(uint now) => FlushCore(ackOnly: false, now);

    /// <summary>Writes only the pending ACKs (kcp-go's ackNoDelay path); nothing else is sent or scheduled.</summary>
    /// <param name="now">The millisecond clock.</param>
    public void FlushAcks(uint now) => FlushCore(ackOnly: true, now);

    private uint FlushCore(bool ackOnly, uint now)
    {
        var buffer = _outputBuffer;
        var offset = _reserved;
        var window = UnusedReceiveWindow();
        var una = _receiveNext;
        long outSegments = 0;

        // 1. ACKs. kcp-go skips ACKs that una already covers, except the last queued one.
        uint templateSn = 0, templateTs = 0;
        var ackCount = _ackCount;
        if (_repeatCount > 0)
        {
            offset = WriteRepeatedAcks(buffer, offset, window, una, ref outSegments);
        }

        for (var i = 0; i < ackCount; i++)
        {
            var ack = _ackList[i];
            if ((int)(ack.SequenceNumber - _receiveNext) >= 0 || i == ackCount - 1)
            {
                offset = MakeSpace(buffer, offset, KcpSegmentHeader.Size);
                KcpSegmentHeader.Write(buffer.AsSpan(offset), Conversation, KcpCommand.Ack, 0, window, ack.Timestamp, ack.SequenceNumber, una, 0);
                offset += KcpSegmentHeader.Size;
                outSegments++;
                templateSn = ack.SequenceNumber;
                templateTs = ack.Timestamp;
            }
        }

        KeepAcksForRepeat(ackCount);
        _ackCount = 0;

        if (ackOnly)
        {
            EmitRemainder(buffer, offset);
            Count(0, outSegments);
            return _interval;
        }

        if ((int)(now - _poolTrimAt) >= 0)
        {
            if (_poolTrimAt != 0)
            {
                _pool.Trim();
            }

            _poolTrimAt = now + PoolTrimPeriod;
        }

        // 2. Window probe timer: while the peer advertises 0, ask after 7 s, then 1.5x longer each time (<= 120 s).
        if (_remoteWindow == 0)
        {
            if (_probeWait == 0)
            {
                _probeWait = ProbeInitial;
                _probeAt = now + _probeWait;
            }
            else if ((int)(now - _probeAt) >= 0)
            {
                if (_probeWait < ProbeInitial)
                {
                    _probeWait = ProbeInitial;
                }

                _probeWait += _probeWait / 2;
                if (_probeWait > ProbeLimit)
                {
                    _probeWait = ProbeLimit;
                }

                _probeAt = now + _probeWait;
                _probe |= AskSend;
            }
        }
        else
        {
            _probeAt = 0;
            _probeWait = 0;
        }

        // 3. Probes; their sn/ts are whatever the last ACK written had (kcp-go reuses one template segment).
        if ((_probe & AskSend) != 0)
        {
            offset = MakeSpace(buffer, offset, KcpSegmentHeader.Size);
            KcpSegmentHeader.Write(buffer.AsSpan(offset), Conversation, KcpCommand.WindowAsk, 0, window, templateTs, templateSn, una, 0);
            offset += KcpSegmentHeader.Size;
            outSegments++;
        }

        if ((_probe & AskTell) != 0)
        {
            offset = MakeSpace(buffer, offset, KcpSegmentHeader.Size);
            KcpSegmentHeader.Write(buffer.AsSpan(offset), Conversation, KcpCommand.WindowTell, 0, window, templateTs, templateSn, una, 0);
            offset += KcpSegmentHeader.Size;
            outSegments++;
        }

        _probe = 0;

        if (_bbr is not null)
        {
            var due = FlushPaced(ref buffer, ref offset, window, una, now, ref outSegments);
            var repeat = PrepareTailRepeat(buffer, offset, now, _burstEnded);
            EmitRemainder(buffer, offset);
            outSegments += EmitTailRepeat(repeat);
            Count(0, outSegments);
            return (uint)due;
        }

        // 4. Admit queued segments into the send buffer within min(snd_wnd, rmt_wnd[, cwnd]).
        var sendLimit = Math.Min(_sendWindow, _remoteWindow);
        if (!_noCongestionControl)
        {
            sendLimit = Math.Min(_congestionWindow, sendLimit);
        }

        var admitted = 0;
        while (_sendQueue.Count > 0 && (int)(_sendNext - (_sendUnacknowledged + sendLimit)) < 0)
        {
            var segment = _sendQueue.Front;
            segment.SequenceNumber = _sendNext++;
            _sendBuffer.PushBack(segment);
            _sendQueue.PopFront();
            admitted++;
        }

        // 5. First transmissions and retransmissions, in sn order: new, fast, early, timeout.
        var resendThreshold = _fastResend > 0 ? (uint)_fastResend : uint.MaxValue;
        long lost = 0, fast = 0, early = 0;
        var nextDue = (int)_interval;
        var count = _sendBuffer.Count;
        for (var i = 0; i < count; i++)
        {
            ref var segment = ref _sendBuffer[i];
            if (segment.Acknowledged)
            {
                continue;
            }

            var send = true;
            if (segment.Transmissions == 0)
            {
                segment.Rto = _rto;
                segment.ResendAt = now + segment.Rto;
            }
            else if (segment.FastAck >= resendThreshold || (segment.FastAck > 0 && admitted == 0))
            {
                // Fast retransmit, else kcp-go's early retransmit (later ACKs seen, nothing new admitted).
                if (segment.FastAck >= resendThreshold)
                {
                    fast++;
                }
                else
                {
                    early++;
                }

                segment.FastAck = 0;
                _fastAckScanStart = Math.Min(_fastAckScanStart, i);
                segment.Rto = _rto;
                segment.ResendAt = now + segment.Rto;
            }
            else if ((int)(now - segment.ResendAt) >= 0)
            {
                // Additive back-off (kcp-go), not the doubling of C KCP.
                segment.Rto += _noDelay == 0 ? _rto : _rto / 2;
                segment.FastAck = 0;
                _fastAckScanStart = Math.Min(_fastAckScanStart, i);
                segment.ResendAt = now + segment.Rto;
                lost++;
            }
            else
            {
                send = false;
            }

            if (send)
            {
                segment.Transmissions++;
                segment.Timestamp = now;
                var need = KcpSegmentHeader.Size + segment.Length;
                offset = MakeSpace(buffer, offset, need);
                buffer = _outputBuffer; // MakeSpace may have grown it (segment queued before an MTU decrease)
                KcpSegmentHeader.Write(buffer.AsSpan(offset), Conversation, KcpCommand.Push, segment.Fragment, window, now, segment.SequenceNumber, una, (uint)segment.Length);
                segment.Data.AsSpan(0, segment.Length).CopyTo(buffer.AsSpan(offset + KcpSegmentHeader.Size));
                offset += need;
                outSegments++;
                if (segment.Transmissions >= DeadLinkTransmissions)
                {
                    _deadLink = true;
                }
            }

            var untilDue = (int)(segment.ResendAt - now);
            if (untilDue > 0 && untilDue < nextDue)
            {
                nextDue = untilDue;
            }
        }

        EmitRemainder(buffer, offset);
        Count(0, outSegments);
        if (lost + fast + early > 0)
        {
            CountRetransmissions(fast, early, lost);
        }

        // 6. Congestion update: rate halving on fast/early retransmit, collapse to 1 on timeout.
        if (!_noCongestionControl)
        {
            if (fast + early > 0)
            {
                var inflight = _sendNext - _sendUnacknowledged;
                _slowStartThreshold = Math.Max(inflight / 2, SlowStartThresholdMinimum);
                _congestionWindow = _slowStartThreshold + resendThreshold; // wraps to ssthresh - 1 when resend is off
                _congestionIncrement = _congestionWindow * (uint)_mss;
            }

            if (lost > 0)
            {
                _slowStartThreshold = Math.Max(sendLimit / 2, SlowStartThresholdMinimum);
                _congestionWindow = 1;
                _congestionIncrement = (uint)_mss;
            }

            if (_congestionWindow < 1)
            {
                _congestionWindow = 1;
                _congestionIncrement = (uint)_mss;
            }
        }

        return (uint)nextDue;
    }

    private ushort UnusedReceiveWindow() =>
        _receiveQueue.Count < _receiveWindow ? (ushort)(_receiveWindow - (uint)_receiveQueue.Count) : (ushort)0;

    /// <summary>Emits the datagram being built if <paramref name="space"/> more bytes would exceed the MTU.</summary>
    private int MakeSpace(byte[] buffer, int offset, int space)
    {
        if (offset + space > _mtu && offset > _reserved)
        {
            _output(buffer, offset);
            offset = _reserved;
            ForgetTailData();
        }

        if (_reserved + space > _outputBuffer.Length - OutputSlack)
        {
            // Only a segment queued before SetMtu lowered the MTU can be this large; send it oversized.
            var larger = new byte[_reserved + space + OutputSlack];
            buffer.AsSpan(0, _reserved).CopyTo(larger);
            _outputBuffer = larger;
        }

        return offset;
    }

    private void EmitRemainder(byte[] buffer, int offset)
    {
        if (offset > _reserved)
        {
            _output(buffer, offset);
        }
    }
}
