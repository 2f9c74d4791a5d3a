namespace Kcptun.Kcp;

// Processing received packets (docs/protocol/kcp.md §6.6), the RTT estimator (6.7) and congestion window growth (6.8).
public sealed partial class KcpControlBlock
{
    /// <summary>
    /// Processes one KCP packet received from the network (one or more segments back to back). Never throws on
    /// hostile input. May call the output: a full flush when the peer's una advanced, an ACK-only flush with
    /// <see cref="AckNoDelay"/>.
    /// </summary>
    /// <param name="packet">The KCP bytes of one datagram (after the protection and FEC headers).</param>
    /// <param name="now">The millisecond clock (the one passed to <see cref="Flush"/>).</param>
    /// <returns><see cref="KcpInputResult.Accepted"/>, or the first problem found; segments before it stay processed.</returns>
    public KcpInputResult Input(ReadOnlySpan<byte> packet, uint now) => InputCore(packet, regular: true, now);

    /// <summary>
    /// As <see cref="Input"/>, for a packet FEC rebuilt: it does not update the remote window, the RTT estimate or
    /// RepeatSegs, since it did not cross the network when its headers say.
    /// </summary>
    public KcpInputResult InputRecovered(ReadOnlySpan<byte> packet, uint now) => InputCore(packet, regular: false, now);

    private KcpInputResult InputCore(ReadOnlySpan<byte> packet, bool regular, uint now)
    {
        if (packet.Length < KcpSegmentHeader.Size)
        {
            return KcpInputResult.TooShort;
        }

        var previousUna = _sendUnacknowledged;
        uint latestAckTimestamp = 0;
        var sawAck = false;
        var windowSlid = false;
        long inSegments = 0;
        long repeats = 0;
        var result = KcpInputResult.Accepted;

        while (KcpSegmentHeader.TryRead(packet, out var header))
        {
            var body = packet[KcpSegmentHeader.Size..];
            if (header.Conversation != Conversation)
            {
                result = KcpInputResult.ForeignConversation;
                break;
            }

            if (header.Length > (uint)body.Length)
            {
                result = KcpInputResult.Truncated;
                break;
            }

            var command = header.Command;
            if (command is < KcpCommand.Push or > KcpCommand.WindowTell)
            {
                result = KcpInputResult.UnknownCommand;
                break;
            }

            if (command == KcpCommand.Push && !StreamMode && header.Fragment >= _receiveWindow)
            {
                result = KcpInputResult.FragmentOutOfWindow;
                break;
            }

            if (regular)
            {
                _remoteWindow = header.Window;
                _remoteWindowPeak = Math.Max(_remoteWindowPeak, _remoteWindow);
            }

            if (RemoveAcknowledgedBelow(header.Unacknowledged, now))
            {
                windowSlid = true;
            }

            var sn = header.SequenceNumber;
            switch (command)
            {
                case KcpCommand.Ack:
                    if (MarkAcknowledged(sn, header.Timestamp, now) || _bbr is null)
                    {
                        // Under bbr an ACK of a segment already marked (a repeated ACK) is no new evidence.
                        CountFastAcks(sn, header.Timestamp);
                    }

                    if (_bbr is not null && regular && (int)(now - header.Timestamp) >= 0)
                    {
                        _bbr.OnRttSample(now - header.Timestamp);
                    }

                    sawAck = true;
                    latestAckTimestamp = header.Timestamp;
                    break;

                case KcpCommand.Push:
                    var repeat = true;
                    if ((int)(sn - (_receiveNext + _receiveWindow)) < 0)
                    {
                        PushAck(sn, header.Timestamp);
                        if ((int)(sn - _receiveNext) >= 0)
                        {
                            repeat = StoreReceived(sn, header.Fragment, body[..(int)header.Length]);
                            if (!repeat)
                            {
                                TrackReceiveWindowUse(now);
                            }
                        }
                    }

                    if (regular && repeat)
                    {
                        repeats++;
                    }

                    if (regular && _bbr is not null)
                    {
                        NoteArrival(repeat);
                    }

                    break;

                case KcpCommand.WindowAsk:
                    _probe |= AskTell;
                    break;

                default: // WindowTell: wnd and una above are all it carries.
                    break;
            }

            inSegments++;
            packet = body[(int)header.Length..];
        }

        // kcp-go counts InSegs only for packets without error, RepeatSegs as it goes.
        if (repeats != 0)
        {
            CountRepeats(repeats);
        }

        if (_bbr is not null)
        {
            _bbr.OnAckProcessed(now, _bytesInFlight);
            windowSlid |= _deliveredInInput; // in flight shrank: the controller may let more go
            _deliveredInInput = false;
        }

        if (result != KcpInputResult.Accepted)
        {
            return result;
        }

        Count(inSegments, 0);

        // One RTT sample per packet, from its last ACK, and only from packets that really crossed the network.
        // Unlike kcp-go, an echoed ts older than one already sampled is no sample: such an ACK answers an old
        // transmission the peer only got now, typically one FEC recovered a whole group later (the peer ACKs it
        // with its original ts), or a datagram reordered behind newer ones. Its "RTT" is that extra wait, not the
        // path's; kcp-go's estimator takes it and, at 10% loss, inflates rto several-fold for the next lone
        // segment (issue 6: p99 of request/response). ts only ever grows on the sending side, so a fresh ACK is
        // never older than the last sample.
        if (sawAck && regular)
        {
            var rtt = (int)(now - latestAckTimestamp);
            if (rtt >= 0 && (!_hasRttSample || (int)(latestAckTimestamp - _lastSampledTimestamp) >= 0))
            {
                _hasRttSample = true;
                _lastSampledTimestamp = latestAckTimestamp;
                if (_bbr is not null && _oldestDeliveredSent != 0 && (int)(now - _oldestDeliveredSent) > rtt)
                {
                    // Under bbr the estimator takes the longest delay of the segments this packet delivered (by ACK
                    // or una), at most AckHoldAllowance above the ACK's: the peer holds ACKs up to its flush interval
                    // and sends only the last one of an in-order batch, so an RTO sized by that least delayed ACK
                    // fired on segments that had arrived (8% needless resends on an idle 50 ms path).
                    rtt = Math.Min((int)(now - _oldestDeliveredSent), rtt + AckHoldAllowance);
                }

                UpdateRto(rtt);
            }
        }

        _oldestDeliveredSent = 0;

        if (!_noCongestionControl && (int)(_sendUnacknowledged - previousUna) > 0)
        {
            GrowCongestionWindow();
        }

        if (windowSlid)
        {
            Flush(now);
        }
        else if (AckNoDelay && _ackCount > 0)
        {
            FlushAcks(now);
        }

        return KcpInputResult.Accepted;
    }

    /// <summary>Drops every send-buffer segment below the peer's una; then snd_una = first left (or snd_nxt).</summary>
    private bool RemoveAcknowledgedBelow(uint una, uint now)
    {
        var removed = false;
        while (_sendBuffer.Count > 0)
        {
            ref var segment = ref _sendBuffer.Front;
            if ((int)(una - segment.SequenceNumber) <= 0)
            {
                break;
            }

            if (_bbr is not null && !segment.Acknowledged && segment.Transmissions > 0)
            {
                OnSegmentDelivered(ref segment, now, spurious: false);
            }

            _pool.Return(segment.Data);
            _sendBuffer.PopFront();
            removed = true;
            if (_fastAckScanStart > 0)
            {
                _fastAckScanStart--;
            }
        }

        _sendUnacknowledged = _sendBuffer.Count > 0 ? _sendBuffer.Front.SequenceNumber : _sendNext;
        return removed;
    }

    /// <summary>
    /// Marks the segment with this sn acknowledged (it stays until una passes it) and frees its data. Returns true
    /// when the ACK found its segment unacknowledged until now.
    /// </summary>
    private bool MarkAcknowledged(uint sn, uint timestamp, uint now)
    {
        if ((int)(sn - _sendUnacknowledged) < 0 || (int)(sn - _sendNext) >= 0)
        {
            return false;
        }

        // The send buffer holds exactly the sns [snd_una, snd_nxt), in order.
        ref var segment = ref _sendBuffer[(int)(sn - _sendUnacknowledged)];
        if (segment.Acknowledged)
        {
            return false;
        }

        if (_bbr is not null && segment.Transmissions > 0)
        {
            // The ACK echoes the ts of the transmission that arrived: an earlier one means the last resend was needless.
            OnSegmentDelivered(ref segment, now, spurious: segment.Transmissions > 1 && timestamp != segment.Timestamp);
        }

        segment.Acknowledged = true;
        _pool.Return(segment.Data);
        segment.Data = null;
        return true;
    }

    /// <summary>
    /// kcp-go's fast-ack rule: every earlier segment sent no later than the ACKed one gets fastack + 1. Counts
    /// saturate at <see cref="FastAckCap"/>, the largest value any retransmit decision distinguishes, and the scan
    /// starts past the leading run of saturated or acknowledged segments, so an in-order ACK burst over a full
    /// window costs O(1) per ACK instead of kcp-go's O(window).
    /// </summary>
    private void CountFastAcks(uint sn, uint timestamp)
    {
        if ((int)(sn - _sendUnacknowledged) < 0 || (int)(sn - _sendNext) >= 0)
        {
            return;
        }

        var cap = FastAckCap;
        var before = (int)(sn - _sendUnacknowledged);
        var prefixSaturated = true;
        for (var i = _fastAckScanStart; i < before; i++)
        {
            ref var segment = ref _sendBuffer[i];
            if (!segment.Acknowledged && segment.FastAck < cap && (int)(segment.Timestamp - timestamp) <= 0)
            {
                segment.FastAck++;
            }

            if (prefixSaturated && (segment.Acknowledged || segment.FastAck >= cap))
            {
                _fastAckScanStart = i + 1;
            }
            else
            {
                prefixSaturated = false;
            }
        }
    }

    /// <summary>fastack values at or above this are all alike: fast retransmit needs resend, early retransmit 1.</summary>
    private uint FastAckCap => _fastResend > 0 ? (uint)_fastResend : 1;

    private void PushAck(uint sn, uint timestamp)
    {
        if (_ackCount == _ackList.Length)
        {
            Array.Resize(ref _ackList, _ackList.Length * 2);
        }

        _ackList[_ackCount++] = new AckItem(sn, timestamp);
    }

    /// <summary>Stores a copy of an in-window PUSH in rcv_buf and moves what became in order; true if a duplicate.</summary>
    private bool StoreReceived(uint sn, byte fragment, ReadOnlySpan<byte> data)
    {
        var mask = (uint)_receiveSlots.Length - 1;
        ref var slot = ref _receiveSlots[sn & mask];
        var repeat = slot.Data is not null;
        if (!repeat)
        {
            var buffer = _pool.Rent(data.Length);
            data.CopyTo(buffer);
            slot = new KcpSegment { Data = buffer, Length = data.Length, SequenceNumber = sn, Fragment = fragment };
            _receiveBufferCount++;
        }

        MoveReceiveBufferToQueue();
        return repeat;
    }

    /// <summary>RFC 6298 estimator with kcp-go's extra 1/32 gain for samples below srtt − rttvar.</summary>
    private void UpdateRto(int rtt)
    {
        if (_smoothedRtt == 0)
        {
            _smoothedRtt = rtt;
            _rttVariance = rtt >> 1;
        }
        else
        {
            var delta = rtt - _smoothedRtt;
            _smoothedRtt += delta >> 3;
            if (delta < 0)
            {
                delta = -delta;
            }

            if (rtt < _smoothedRtt - _rttVariance)
            {
                _rttVariance += (delta - _rttVariance) >> 5;
            }
            else
            {
                _rttVariance += (delta - _rttVariance) >> 2;
            }
        }

        var rto = (uint)_smoothedRtt + Math.Max(_interval, (uint)_rttVariance << 2);
        _rto = Math.Clamp(rto, _minimumRto, RtoMaximum);
    }

    /// <summary>Slow start below ssthresh, then congestion avoidance by bytes (incr), capped by the remote window.</summary>
    private void GrowCongestionWindow()
    {
        if (_congestionWindow >= _remoteWindow)
        {
            return;
        }

        var mss = (uint)_mss;
        if (_congestionWindow < _slowStartThreshold)
        {
            _congestionWindow++;
            _congestionIncrement += mss;
        }
        else
        {
            if (_congestionIncrement < mss)
            {
                _congestionIncrement = mss;
            }

            _congestionIncrement += (mss * mss / _congestionIncrement) + (mss / 16);
            if ((_congestionWindow + 1) * mss <= _congestionIncrement)
            {
                _congestionWindow = (_congestionIncrement + mss - 1) / mss;
            }
        }

        if (_congestionWindow > _remoteWindow)
        {
            _congestionWindow = _remoteWindow;
            _congestionIncrement = _remoteWindow * mss;
        }
    }
}
