using System.Buffers;

namespace Kcptun.Transport;

/// <summary>
/// Outgoing pacing of one session (<c>--ratelimit</c>, docs/protocol/kcp.md §6.14): datagrams leave while the
/// <see cref="TokenBucket"/> holds enough tokens; the rest wait, in order, in a bounded queue of pooled copies that
/// the session's scheduler update drains (no timer or task of its own). While a backlog waits the session skips its
/// KCP flushes, so KCP (bounded by its windows) does not pile more data behind it. Only flushes the receive path
/// triggers can still add to a backlog; past <see cref="MaxQueued"/> datagrams those are dropped (KCP resends them)
/// rather than letting memory grow. Not thread-safe: the session calls it under its lock.
/// </summary>
internal sealed class SendPacer
{
    /// <summary>Most datagrams waiting at once (about 6 MB of full-size datagrams).</summary>
    public const int MaxQueued = 4096;

    private readonly TokenBucket _bucket;
    private readonly Queue<(byte[] Buffer, int Length)> _queue = new();

    public SendPacer(long bytesPerSecond, TimeProvider time)
    {
        _bucket = new TokenBucket(bytesPerSecond, TokenBucket.DefaultBurst, time);
    }

    /// <summary>True while datagrams wait for tokens.</summary>
    public bool HasBacklog => _queue.Count > 0;

    /// <summary>Datagrams waiting (tests and diagnostics).</summary>
    public int Queued => _queue.Count;

    /// <summary>Datagrams dropped because the queue was full.</summary>
    public long Dropped { get; private set; }

    /// <summary>
    /// Sends <paramref name="datagram"/> through <paramref name="send"/> now if no backlog waits and tokens allow,
    /// otherwise queues a copy. False when the queue was full and the datagram was dropped.
    /// </summary>
    public bool Submit(ReadOnlySpan<byte> datagram, IDatagramSink send)
    {
        if (_queue.Count == 0 && _bucket.TryTake(datagram.Length))
        {
            send.Send(datagram);
            return true;
        }

        return TryQueue(datagram);
    }

    /// <summary>
    /// <see cref="Submit"/> for a sealed batch, without sending: returns how many leading datagrams the bucket lets
    /// go now (the caller sends them at once, before anything else); copies of the rest wait in the queue, in order
    /// (dropped past <see cref="MaxQueued"/>).
    /// </summary>
    public int SubmitBatch(DatagramBatch batch)
    {
        int now = 0;
        while (now < batch.Count && _queue.Count == 0 && _bucket.TryTake(batch.Datagram(now).Length))
        {
            now++;
        }

        for (int i = now; i < batch.Count; i++)
        {
            _ = TryQueue(batch.Datagram(i));
        }

        return now;
    }

    /// <summary>Queues a pooled copy of <paramref name="datagram"/>; false (counted in <see cref="Dropped"/>) past <see cref="MaxQueued"/>.</summary>
    private bool TryQueue(ReadOnlySpan<byte> datagram)
    {
        if (_queue.Count >= MaxQueued)
        {
            Dropped++;
            return false;
        }

        byte[] copy = ArrayPool<byte>.Shared.Rent(datagram.Length);
        datagram.CopyTo(copy);
        _queue.Enqueue((copy, datagram.Length));
        return true;
    }

    /// <summary>
    /// Sends queued datagrams while tokens allow; returns the wait until the next one can go (zero: queue empty).
    /// </summary>
    public TimeSpan Drain(IDatagramSink send)
    {
        while (_queue.TryPeek(out (byte[] Buffer, int Length) head))
        {
            if (!_bucket.TryTake(head.Length))
            {
                return _bucket.TimeUntil(head.Length);
            }

            _queue.Dequeue();
            try
            {
                send.Send(head.Buffer.AsSpan(0, head.Length));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(head.Buffer);
            }
        }

        return TimeSpan.Zero;
    }

    /// <summary>Drops every waiting datagram (session closed) and returns their buffers.</summary>
    public void Clear()
    {
        while (_queue.TryDequeue(out (byte[] Buffer, int Length) item))
        {
            ArrayPool<byte>.Shared.Return(item.Buffer);
        }
    }
}
