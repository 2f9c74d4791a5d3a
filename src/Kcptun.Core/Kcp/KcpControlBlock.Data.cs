namespace Kcptun.Kcp;

// The application side: Send into snd_queue, Receive/PeekSize out of rcv_queue (docs/protocol/kcp.md §6.4 and 6.10).
public sealed partial class KcpControlBlock
{
    /// <summary>
    /// Queues <paramref name="data"/> for sending; nothing is transmitted until the next <see cref="Flush"/>.
    /// Stream mode first tops up the last queued segment to mss, then cuts the rest into mss-sized segments.
    /// Message mode makes one message of ceil(length / mss) fragments numbered frg = count−1 … 0.
    /// The queue is not bounded here: the owner stops writing while <see cref="WaitingToSend"/> ≥ the window.
    /// </summary>
    /// <returns>The number of bytes queued (0 for empty data), or <see cref="ErrorTooManyFragments"/> in message mode
    /// when more than 255 fragments would be needed.</returns>
    public int Send(ReadOnlySpan<byte> data)
    {
        var total = data.Length;
        if (total == 0)
        {
            return 0;
        }

        var mss = _mss;
        if (StreamMode)
        {
            if (_sendQueue.Count > 0)
            {
                ref var last = ref _sendQueue.Back;
                var room = Math.Min(mss, last.Data!.Length) - last.Length;
                if (room > 0)
                {
                    var extend = Math.Min(room, data.Length);
                    data[..extend].CopyTo(last.Data.AsSpan(last.Length));
                    last.Length += extend;
                    data = data[extend..];
                }
            }

            while (!data.IsEmpty)
            {
                var size = Math.Min(mss, data.Length);
                QueueSegment(data[..size], 0);
                data = data[size..];
            }

            return total;
        }

        var count = (total + mss - 1) / mss;
        if (count > 255)
        {
            return ErrorTooManyFragments;
        }

        for (var i = 0; i < count; i++)
        {
            var size = Math.Min(mss, data.Length);
            QueueSegment(data[..size], (byte)(count - i - 1));
            data = data[size..];
        }

        return total;
    }

    /// <summary>
    /// Stream mode: copies up to <paramref name="buffer"/>.Length bytes across segments, keeping a partly read
    /// segment for the next call. Message mode: copies exactly one whole message.
    /// </summary>
    /// <returns>Bytes copied; -1 when nothing is ready; <see cref="ErrorBufferTooSmall"/> in message mode when the
    /// next message does not fit.</returns>
    public int Receive(Span<byte> buffer)
    {
        if (_receiveQueue.Count == 0)
        {
            return -1;
        }

        var wasFull = _receiveQueue.Count >= _receiveWindow;
        int copied;
        if (StreamMode)
        {
            if (_receiveQueueBytes - _receiveOffset == 0 && buffer.Length > 0)
            {
                // Only empty segments are queued: drop them so they do not hold the window.
                DequeueAllEmpty();
                copied = -1;
            }
            else
            {
                copied = ReceiveStream(buffer);
            }
        }
        else
        {
            var size = PeekSize();
            if (size < 0)
            {
                return -1;
            }

            if (size > buffer.Length)
            {
                return ErrorBufferTooSmall;
            }

            copied = ReceiveMessage(buffer);
        }

        MoveReceiveBufferToQueue();
        if (wasFull && _receiveQueue.Count < _receiveWindow)
        {
            // The peer may have stopped at wnd = 0: tell it the window reopened (next flush sends WINS).
            _probe |= AskTell;
        }

        return copied;
    }

    /// <summary>
    /// Stream mode: the number of bytes <see cref="Receive"/> could return now, or -1 when the receive queue is empty.
    /// Message mode (as kcp-go): the size of the next complete message, or -1 while it is incomplete or absent.
    /// </summary>
    public int PeekSize()
    {
        if (_receiveQueue.Count == 0)
        {
            return -1;
        }

        if (StreamMode)
        {
            return (int)Math.Min(int.MaxValue, _receiveQueueBytes - _receiveOffset);
        }

        ref var first = ref _receiveQueue.Front;
        if (first.Fragment == 0)
        {
            return first.Length - _receiveOffset;
        }

        if (_receiveQueue.Count < first.Fragment + 1)
        {
            return -1;
        }

        var length = -_receiveOffset;
        for (var i = 0; i < _receiveQueue.Count; i++)
        {
            ref var segment = ref _receiveQueue[i];
            length += segment.Length;
            if (segment.Fragment == 0)
            {
                break;
            }
        }

        return length;
    }

    private void QueueSegment(ReadOnlySpan<byte> data, byte fragment)
    {
        var buffer = _pool.Rent(Math.Max(data.Length, _mss));
        data.CopyTo(buffer);
        _sendQueue.PushBack(new KcpSegment { Data = buffer, Length = data.Length, Fragment = fragment });
    }

    private int ReceiveStream(Span<byte> buffer)
    {
        var copied = 0;
        while (_receiveQueue.Count > 0)
        {
            ref var segment = ref _receiveQueue.Front;
            var available = segment.Length - _receiveOffset;
            var n = Math.Min(available, buffer.Length - copied);
            if (n > 0)
            {
                segment.Data.AsSpan(_receiveOffset, n).CopyTo(buffer[copied..]);
                copied += n;
            }

            if (n < available)
            {
                _receiveOffset += n;
                break;
            }

            _receiveOffset = 0;
            DequeueReceived();
        }

        return copied;
    }

    private int ReceiveMessage(Span<byte> buffer)
    {
        var copied = 0;
        while (_receiveQueue.Count > 0)
        {
            ref var segment = ref _receiveQueue.Front;
            var n = segment.Length - _receiveOffset;
            segment.Data.AsSpan(_receiveOffset, n).CopyTo(buffer[copied..]);
            copied += n;
            _receiveOffset = 0;
            var last = segment.Fragment == 0;
            DequeueReceived();
            if (last)
            {
                break;
            }
        }

        return copied;
    }

    private void DequeueAllEmpty()
    {
        while (_receiveQueue.Count > 0 && _receiveQueue.Front.Length == 0)
        {
            DequeueReceived();
        }
    }

    private void DequeueReceived()
    {
        ref var segment = ref _receiveQueue.Front;
        _receiveQueueBytes -= segment.Length;
        _pool.Return(segment.Data);
        _receiveQueue.PopFront();
    }

    /// <summary>Moves segments that are now in order from rcv_buf to rcv_queue while the queue is below rcv_wnd.</summary>
    private void MoveReceiveBufferToQueue()
    {
        var mask = (uint)_receiveSlots.Length - 1;
        while (_receiveBufferCount > 0 && _receiveQueue.Count < _receiveWindow)
        {
            ref var slot = ref _receiveSlots[_receiveNext & mask];
            if (slot.Data is null || slot.SequenceNumber != _receiveNext)
            {
                break;
            }

            _receiveQueue.PushBack(slot);
            _receiveQueueBytes += slot.Length;
            slot = default;
            _receiveBufferCount--;
            _receiveNext++;
        }
    }
}
