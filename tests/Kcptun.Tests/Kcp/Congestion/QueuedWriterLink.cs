using Kcptun.Kcp;
using Kcptun.Kcp.Congestion;

namespace Kcptun.Tests.Kcp.Congestion;

/// <summary>
/// One KCP flow through <see cref="BottleneckLink"/> (fast2, no random loss), with the sender written the way
/// <c>KcpSession</c> writes it under a multiplexer: one 64 KiB write (a smux batch) whenever the session would accept
/// one (waiting segments below both windows and <see cref="KcpControlBlock.CanQueueMore"/>), a flush after each
/// write. <see cref="RequestMessage"/> models a small frame of another stream (an rr reply): it goes into the next
/// write the session accepts, ahead of the bulk bytes of that write, as smux's round-robin puts it.
/// </summary>
public sealed class QueuedWriterLink
{
    private const int BatchSize = 64 * 1024;
    private const int MessageSize = 64;

    private readonly BottleneckLink _link;
    private readonly byte[] _batch = new byte[BatchSize];
    private readonly Queue<(uint RequestedAt, long EndOffset)> _sent = new();
    private readonly Queue<uint> _pending = new();

    public QueuedWriterLink(CongestionControl control, int window = 32768, double rate = 12_500, uint delay = 50, int queueLimit = 1_250_000)
    {
        _link = new BottleneckLink(1, seed: 1, control, "fast2", window, window)
        {
            Rate = rate,
            Delay = delay,
            QueueLimit = queueLimit,
            Writer = Write,
            AfterRead = NoteArrivals,
        };
    }

    public KcpControlBlock Sender => _link.Sender(0);

    public uint Now => _link.Now;

    /// <summary>Bytes the receiver has read.</summary>
    public long Delivered => _link.Delivered[0];

    /// <summary>Bytes the sender has written.</summary>
    public long Written { get; private set; }

    public long QueueDrops => _link.QueueDrops;

    /// <summary>Most segments the sender's queue held after a write (settable: tests reset it after a warm-up).</summary>
    public int MaxQueuedSegments { get; set; }

    /// <summary>For each message: ms from <see cref="RequestMessage"/> until the receiver had read all of it.</summary>
    public List<uint> MessageLatencies { get; } = [];

    /// <summary>A small message is to be written now; it waits for the next write the session accepts.</summary>
    public void RequestMessage() => _pending.Enqueue(_link.Now);

    public void RunFor(uint milliseconds) => _link.RunFor(milliseconds);

    private bool Write(KcpControlBlock sender)
    {
        var wrote = false;
        while (sender.WaitingToSend < Math.Min(sender.SendWindow, sender.RemoteWindow) && sender.CanQueueMore)
        {
            while (_pending.TryDequeue(out var requestedAt))
            {
                Assert.Equal(MessageSize, sender.Send(_batch.AsSpan(0, MessageSize)));
                Written += MessageSize;
                _sent.Enqueue((requestedAt, Written));
            }

            Assert.Equal(BatchSize, sender.Send(_batch));
            Written += BatchSize;
            wrote = true;
            MaxQueuedSegments = Math.Max(MaxQueuedSegments, sender.QueuedSegments);
        }

        return wrote;
    }

    private void NoteArrivals()
    {
        while (_sent.TryPeek(out var message) && Delivered >= message.EndOffset)
        {
            _sent.Dequeue();
            MessageLatencies.Add(_link.Now - message.RequestedAt);
        }
    }
}
