using Kcptun.Diagnostics;
using Kcptun.Kcp;
using Kcptun.Kcp.Congestion;

namespace Kcptun.Tests.Kcp.Congestion;

/// <summary>
/// One or more KCP flows (sender i → receiver i) sharing a rate-limited bottleneck with a bounded FIFO queue, on a
/// fake millisecond clock: the forward direction passes the bottleneck (serialisation at <see cref="Rate"/>, tail
/// drop past <see cref="QueueLimit"/> bytes), then random loss, then the one-way <see cref="Delay"/>; ACKs come back
/// after <see cref="Delay"/> with their own random loss. Senders always have data (a bulk transfer written the way
/// kcptun writes: while WaitingToSend is below the send limit, min(snd_wnd, rmt_wnd) plus bbr's reach); receivers
/// read everything at once. Every side is driven as a session drives it: a flush when the last flush said, after each write, Input per datagram.
/// Deterministic for a seed; simulated seconds cost milliseconds.
/// </summary>
public sealed class BottleneckLink
{
    private readonly Random _random;
    private readonly PriorityQueue<(int Block, byte[] Bytes), (uint At, long Order)> _inFlight = new();
    private readonly uint[] _nextFlush;
    private readonly byte[] _chunk = new byte[16 * 1024];
    private readonly byte[] _readBuffer = new byte[256 * 1024];
    private long _order;
    private double _bottleneckFreeAt;   // ms when the queue is empty again
    private double _queueDelaySum;
    private long _queueDelayCount;

    /// <summary>Creates <paramref name="flows"/> flows, each a pair of control blocks set up as kcptun with <paramref name="mode"/>.</summary>
    public BottleneckLink(int flows, int seed, CongestionControl control, string mode = "fast2", int sendWindow = 4096, int receiveWindow = 4096)
    {
        _random = new Random(seed);
        Blocks = new KcpControlBlock[flows * 2];
        Delivered = new long[flows];
        Counters = new SnmpCounters[flows * 2];
        Active = new bool[flows];
        _nextFlush = new uint[flows * 2];
        var (noDelay, interval) = mode switch
        {
            "fast" => (0, 30),
            "fast2" => (1, 20),
            "fast3" => (1, 10),
            _ => throw new ArgumentException(mode, nameof(mode)),
        };
        for (var i = 0; i < Blocks.Length; i++)
        {
            var index = i;
            Counters[i] = new SnmpCounters();
            var block = new KcpControlBlock(0x1000u + (uint)(i / 2), (b, n) => Transmit(index, b, n), 0, Counters[i])
            {
                StreamMode = true,
            };
            block.FlushOptions = new KcpFlushOptions { NoDelay = noDelay != 0, Interval = interval, FastResend = 2, UseCongestionWindow = false };
            block.SetWindowSize(sendWindow, receiveWindow);
            Assert.True(block.SetMtu(1350));
            block.CongestionControl = control;
            Blocks[i] = block;
        }

        Array.Fill(Active, true);
    }

    /// <summary>Side 2i sends to side 2i + 1.</summary>
    public KcpControlBlock[] Blocks { get; }

    /// <summary>Each control block's counters.</summary>
    public SnmpCounters[] Counters { get; }

    /// <summary>Bytes each flow's receiver has read.</summary>
    public long[] Delivered { get; }

    /// <summary>Whether each flow's sender keeps writing.</summary>
    public bool[] Active { get; }

    public uint Now { get; private set; }

    /// <summary>Bottleneck rate in bytes per ms (1250 = 10 Mbit/s).</summary>
    public double Rate { get; set; } = 1250;

    /// <summary>Bottleneck queue in bytes.</summary>
    public int QueueLimit { get; set; } = 128 * 1024;

    /// <summary>One-way propagation delay in ms (the path's minimum RTT is twice this).</summary>
    public uint Delay { get; set; } = 25;

    /// <summary>
    /// Bottleneck bytes per datagram byte in the data direction (1: none added): the bytes FEC parity adds in
    /// proportion to the data, which KCP never sees.
    /// </summary>
    public double WireOverhead { get; set; } = 1;

    /// <summary>Random loss after the bottleneck, data direction.</summary>
    public double Loss { get; set; }

    /// <summary>Random loss of the reverse (ACK) direction.</summary>
    public double ReverseLoss { get; set; }

    /// <summary>
    /// Most ms an ACK datagram is held on its way back, uniformly at random, order kept: a peer or a sender that
    /// reads late (a busy process), which spreads the delivery-rate samples a few percent around the link rate.
    /// </summary>
    public uint AckJitter { get; set; }

    private uint _lastAckAt;

    public long QueueDrops { get; private set; }

    public long RandomDrops { get; private set; }

    /// <summary>Datagrams that entered the bottleneck queue.</summary>
    public long Forwarded { get; private set; }

    /// <summary>Bytes that entered the bottleneck queue.</summary>
    public long ForwardedBytes { get; private set; }

    /// <summary>False: the receivers' applications stop reading (their KCP receive queues fill).</summary>
    public bool ReceiversRead { get; set; } = true;

    /// <summary>
    /// How an active flow's sender is written, in place of the default bulk writer (16 KiB while WaitingToSend is
    /// below the send limit): called with the flow's sender, returns whether it wrote anything (then the
    /// sender is flushed, as a session flushes after a write).
    /// </summary>
    public Func<KcpControlBlock, bool>? Writer { get; init; }

    /// <summary>Called after each read pass of the receivers, so a test can follow what arrived.</summary>
    public Action? AfterRead { get; init; }

    /// <summary>Mean queueing delay seen by datagrams entering the bottleneck since <see cref="ResetQueueStatistics"/>.</summary>
    public double AverageQueueDelay => _queueDelayCount == 0 ? 0 : _queueDelaySum / _queueDelayCount;

    public double MaxQueueDelay { get; private set; }

    public KcpControlBlock Sender(int flow) => Blocks[2 * flow];

    public BbrController Controller(int flow) => Sender(flow).RateController!;

    public void ResetQueueStatistics()
    {
        _queueDelaySum = 0;
        _queueDelayCount = 0;
        MaxQueueDelay = 0;
    }

    /// <summary>Goodput of each flow over the next <paramref name="milliseconds"/>, in bytes per ms.</summary>
    public double[] Measure(uint milliseconds)
    {
        var before = (long[])Delivered.Clone();
        RunFor(milliseconds);
        var rates = new double[Delivered.Length];
        for (var i = 0; i < rates.Length; i++)
        {
            rates[i] = (Delivered[i] - before[i]) / (double)milliseconds;
        }

        return rates;
    }

    public void RunFor(uint milliseconds)
    {
        var end = Now + milliseconds;
        Pump();
        while (true)
        {
            var next = end + 1;
            foreach (var due in _nextFlush)
            {
                next = (int)(due - next) < 0 ? due : next;
            }

            if (_inFlight.TryPeek(out _, out var head) && (int)(head.At - next) < 0)
            {
                next = head.At;
            }

            if ((int)(next - end) > 0)
            {
                Now = end;
                return;
            }

            if ((int)(next - Now) > 0)
            {
                Now = next;
            }

            while (_inFlight.TryPeek(out var item, out var at) && (int)(at.At - Now) <= 0)
            {
                _inFlight.Dequeue();
                Assert.Equal(KcpInputResult.Accepted, Blocks[item.Block].Input(item.Bytes, Now));
            }

            for (var i = 0; i < Blocks.Length; i++)
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
        for (var flow = 0; flow < Delivered.Length; flow++)
        {
            var sender = Sender(flow);
            var wrote = false;
            if (Active[flow] && Writer is not null)
            {
                wrote = Writer(sender);
            }
            else
            {
                while (Active[flow] && sender.WaitingToSend < sender.SendLimitSegments)
                {
                    Assert.Equal(_chunk.Length, sender.Send(_chunk));
                    wrote = true;
                }
            }

            if (wrote)
            {
                _nextFlush[2 * flow] = Now + sender.Flush(Now);
            }

            var receiver = Blocks[(2 * flow) + 1];
            int r;
            while (ReceiversRead && (r = receiver.Receive(_readBuffer)) > 0)
            {
                Delivered[flow] += r;
            }
        }

        AfterRead?.Invoke();
    }

    private void Transmit(int from, Span<byte> buffer, int length)
    {
        var bytes = buffer[..length].ToArray();
        var to = from ^ 1;
        if ((from & 1) == 1)
        {
            // Receiver to sender: ACKs, no bottleneck.
            if (_random.NextDouble() < ReverseLoss)
            {
                RandomDrops++;
                return;
            }

            var at = Now + Delay;
            if (AckJitter > 0)
            {
                at += (uint)_random.Next((int)AckJitter + 1);
                at = (int)(at - _lastAckAt) < 0 ? _lastAckAt : at;
                _lastAckAt = at;
            }

            _inFlight.Enqueue((to, bytes), (at, _order++));
            return;
        }

        var queued = Math.Max(0, _bottleneckFreeAt - Now);
        var wire = length * WireOverhead;
        if ((queued * Rate) + wire > QueueLimit)
        {
            QueueDrops++;
            return;
        }

        Forwarded++;
        ForwardedBytes += length;
        _queueDelaySum += queued;
        _queueDelayCount++;
        MaxQueueDelay = Math.Max(MaxQueueDelay, queued);
        _bottleneckFreeAt = Math.Max(_bottleneckFreeAt, Now) + (wire / Rate);
        if (_random.NextDouble() < Loss)
        {
            RandomDrops++;
            return;
        }

        _inFlight.Enqueue((to, bytes), ((uint)Math.Ceiling(_bottleneckFreeAt) + Delay, _order++));
    }
}
