using Kcptun.Kcp;
using Kcptun.Kcp.Congestion;

namespace Kcptun.Tests.Kcp.Congestion;

/// <summary>
/// One KCP flow (side 0 sends, side 1 reads) through a rate-limited bottleneck on a fake millisecond clock, with the
/// sender written the way <c>KcpSession</c> writes it under a multiplexer: one 64 KiB write (a smux batch) whenever
/// the session would accept one (waiting segments below both windows and <see cref="KcpControlBlock.CanQueueMore"/>),
/// a flush after each write. <see cref="RequestMessage"/> models a small frame of another stream (an rr reply):
/// it goes into the next write the session accepts, ahead of the bulk bytes of that write, as smux's round-robin
/// puts it. The link: FIFO serialisation at <see cref="Rate"/> with tail drop past <see cref="QueueLimit"/>, then the
/// one-way <see cref="Delay"/>; the reverse direction only the delay. Deterministic; simulated seconds cost
/// milliseconds.
/// </summary>
public sealed class QueuedWriterLink
{
    private const int BatchSize = 64 * 1024;
    private const int MessageSize = 64;

    private readonly PriorityQueue<(int To, byte[] Bytes), (uint At, long Order)> _inFlight = new();
    private readonly uint[] _nextFlush = new uint[2];
    private readonly byte[] _batch = new byte[BatchSize];
    private readonly byte[] _readBuffer = new byte[256 * 1024];
    private readonly Queue<(uint RequestedAt, long EndOffset)> _sent = new();
    private readonly Queue<uint> _pending = new();
    private long _order;
    private double _bottleneckFreeAt;

    public QueuedWriterLink(CongestionControl control, int window = 32768)
    {
        Blocks = new KcpControlBlock[2];
        for (var i = 0; i < 2; i++)
        {
            var side = i;
            var block = new KcpControlBlock(0x2000, (b, n) => Transmit(side, b, n)) { StreamMode = true };
            block.FlushOptions = new KcpFlushOptions { NoDelay = true, Interval = 20, FastResend = 2, UseCongestionWindow = false }; // fast2
            block.SetWindowSize(window, window);
            Assert.True(block.SetMtu(1350));
            block.CongestionControl = control;
            Blocks[i] = block;
        }
    }

    public KcpControlBlock[] Blocks { get; }

    public KcpControlBlock Sender => Blocks[0];

    public uint Now { get; private set; }

    /// <summary>Bottleneck rate in bytes per ms (12500 = 100 Mbit/s).</summary>
    public double Rate { get; init; } = 12_500;

    /// <summary>Bottleneck queue in bytes.</summary>
    public int QueueLimit { get; init; } = 1_250_000;

    /// <summary>One-way propagation delay in ms.</summary>
    public uint Delay { get; init; } = 50;

    /// <summary>Bytes the receiver has read.</summary>
    public long Delivered { get; private set; }

    /// <summary>Bytes the sender has written.</summary>
    public long Written { get; private set; }

    public long QueueDrops { get; private set; }

    /// <summary>Most segments the sender's queue held after a write (settable: tests reset it after a warm-up).</summary>
    public int MaxQueuedSegments { get; set; }

    /// <summary>For each message: ms from <see cref="RequestMessage"/> until the receiver had read all of it.</summary>
    public List<uint> MessageLatencies { get; } = [];

    /// <summary>A small message is to be written now; it waits for the next write the session accepts.</summary>
    public void RequestMessage() => _pending.Enqueue(Now);

    public void RunFor(uint milliseconds)
    {
        var end = Now + milliseconds;
        Pump();
        while (true)
        {
            var next = Math.Min(_nextFlush[0], _nextFlush[1]);
            if (_inFlight.TryPeek(out _, out var head) && (int)(head.At - next) < 0)
            {
                next = head.At;
            }

            if ((int)(next - end) > 0)
            {
                Now = end;
                Pump();
                return;
            }

            if ((int)(next - Now) > 0)
            {
                Now = next;
            }

            while (_inFlight.TryPeek(out var item, out var at) && (int)(at.At - Now) <= 0)
            {
                _inFlight.Dequeue();
                Assert.Equal(KcpInputResult.Accepted, Blocks[item.To].Input(item.Bytes, Now));
            }

            for (var i = 0; i < 2; i++)
            {
                if ((int)(_nextFlush[i] - Now) <= 0)
                {
                    _nextFlush[i] = Now + Blocks[i].Flush(Now);
                }
            }

            Pump();
        }
    }

    private void Pump()
    {
        var sender = Sender;
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

        if (wrote)
        {
            _nextFlush[0] = Now + sender.Flush(Now);
        }

        int r;
        while ((r = Blocks[1].Receive(_readBuffer)) > 0)
        {
            Delivered += r;
        }

        while (_sent.TryPeek(out var message) && Delivered >= message.EndOffset)
        {
            _sent.Dequeue();
            MessageLatencies.Add(Now - message.RequestedAt);
        }
    }

    private void Transmit(int from, Span<byte> buffer, int length)
    {
        var bytes = buffer[..length].ToArray();
        if (from == 1)
        {
            _inFlight.Enqueue((0, bytes), (Now + Delay, _order++));
            return;
        }

        var queued = Math.Max(0, _bottleneckFreeAt - Now);
        if ((queued * Rate) + length > QueueLimit)
        {
            QueueDrops++;
            return;
        }

        _bottleneckFreeAt = Math.Max(_bottleneckFreeAt, Now) + (length / Rate);
        _inFlight.Enqueue((1, bytes), ((uint)Math.Ceiling(_bottleneckFreeAt) + Delay, _order++));
    }
}
