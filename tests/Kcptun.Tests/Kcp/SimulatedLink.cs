using Kcptun.Diagnostics;
using Kcptun.Kcp;

namespace Kcptun.Tests.Kcp;

/// <summary>One datagram in flight on a <see cref="SimulatedLink"/>.</summary>
public sealed record SimulatedDatagram(int From, byte[] Bytes, uint SentAt);

/// <summary>What a script decides for one datagram.</summary>
public enum LinkVerdict
{
    /// <summary>Let the random model decide (loss, duplication, delay).</summary>
    Default,

    /// <summary>Deliver after the base delay, no loss.</summary>
    Deliver,

    /// <summary>Drop it.</summary>
    Drop,
}

/// <summary>
/// Two <see cref="KcpControlBlock"/>s (side 0 and side 1) joined by a seeded, scriptable lossy link on a fake
/// millisecond clock: random drop, duplication and delay jitter (which reorders), plus a per-datagram script.
/// Each side is driven like a kcp-go session: a timer re-armed with Flush's return value, a full flush after each
/// write, Input per datagram. The loop jumps the clock from event to event, so simulated seconds cost microseconds.
/// </summary>
public sealed class SimulatedLink
{
    private readonly Random _random;
    private readonly PriorityQueue<(int To, SimulatedDatagram Datagram), (uint At, long Order)> _inFlight = new();
    private readonly uint[] _nextFlush = new uint[2];
    private long _order;

    public SimulatedLink(int seed, uint conversation = 0x12345678, int reserved = 0)
    {
        _random = new Random(seed);
        Counters = [new SnmpCounters(), new SnmpCounters()];
        Blocks =
        [
            new KcpControlBlock(conversation, (b, n) => Transmit(0, b, n), reserved, Counters[0]),
            new KcpControlBlock(conversation, (b, n) => Transmit(1, b, n), reserved, Counters[1]),
        ];
    }

    public KcpControlBlock[] Blocks { get; }

    public SnmpCounters[] Counters { get; }

    public uint Now { get; private set; }

    public double Loss { get; set; }

    public double Duplication { get; set; }

    public uint Delay { get; set; } = 20;

    public uint Jitter { get; set; }

    /// <summary>Optional per-datagram decision, called before the random model.</summary>
    public Func<SimulatedDatagram, LinkVerdict>? Script { get; set; }

    /// <summary>Every datagram produced (before loss), when <see cref="Record"/> is set.</summary>
    public List<SimulatedDatagram> Sent { get; } = [];

    public bool Record { get; set; }

    public long DatagramsSent { get; private set; }

    public long DatagramsDropped { get; private set; }

    /// <summary>Called after every event for both sides: the application's chance to write and read.</summary>
    public Action<SimulatedLink>? Application { get; set; }

    /// <summary>Applies a kcptun mode (docs/protocol/kcp.md §7.1) and stream mode to both sides.</summary>
    public void Configure(string mode, int sendWindow, int receiveWindow, int mtu = 1350)
    {
        var (noDelay, interval, resend, nc) = mode switch
        {
            "normal" => (0, 40, 2, 1),
            "fast" => (0, 30, 2, 1),
            "fast2" => (1, 20, 2, 1),
            "fast3" => (1, 10, 2, 1),
            _ => throw new ArgumentException(mode, nameof(mode)),
        };
        foreach (var block in Blocks)
        {
            block.StreamMode = true;
            block.FlushOptions = new KcpFlushOptions { NoDelay = noDelay != 0, Interval = interval, FastResend = resend, UseCongestionWindow = nc == 0 };
            block.SetWindowSize(sendWindow, receiveWindow);
            Assert.True(block.SetMtu(mtu));
        }
    }

    /// <summary>An application write on one side: queue, then flush at once (kcptun has write delay off).</summary>
    public int Write(int side, ReadOnlySpan<byte> data)
    {
        var n = Blocks[side].Send(data);
        Flush(side);
        return n;
    }

    public void Flush(int side) => _nextFlush[side] = Now + Blocks[side].Flush(Now);

    /// <summary>Runs events until <paramref name="done"/> holds or the clock passes <paramref name="limit"/> ms.</summary>
    public bool RunUntil(Func<bool> done, uint limit)
    {
        Application?.Invoke(this);
        while (!done())
        {
            var next = Math.Min(_nextFlush[0], _nextFlush[1]);
            if (_inFlight.TryPeek(out _, out var head) && (int)(head.At - next) < 0)
            {
                next = head.At;
            }

            if ((int)(next - Now) > 0)
            {
                Now = next;
            }

            if (Now > limit)
            {
                return false;
            }

            while (_inFlight.TryPeek(out var item, out var at) && (int)(at.At - Now) <= 0)
            {
                _inFlight.Dequeue();
                var rc = Blocks[item.To].Input(item.Datagram.Bytes, Now);
                Assert.Equal(KcpInputResult.Accepted, rc);
                Application?.Invoke(this);
            }

            for (var side = 0; side < 2; side++)
            {
                if ((int)(_nextFlush[side] - Now) <= 0)
                {
                    Flush(side);
                }
            }

            Application?.Invoke(this);
        }

        return true;
    }

    /// <summary>Advances the clock, delivering and flushing as due.</summary>
    public void RunFor(uint milliseconds)
    {
        var end = Now + milliseconds;
        RunUntil(() => false, end);
        Now = end;
    }

    private void Transmit(int from, Span<byte> buffer, int length)
    {
        var datagram = new SimulatedDatagram(from, buffer[..length].ToArray(), Now);
        DatagramsSent++;
        if (Record)
        {
            Sent.Add(datagram);
        }

        var verdict = Script?.Invoke(datagram) ?? LinkVerdict.Default;
        if (verdict == LinkVerdict.Drop || (verdict == LinkVerdict.Default && _random.NextDouble() < Loss))
        {
            DatagramsDropped++;
            return;
        }

        Enqueue(1 - from, datagram, verdict == LinkVerdict.Deliver ? Delay : RandomDelay());
        if (verdict == LinkVerdict.Default && _random.NextDouble() < Duplication)
        {
            Enqueue(1 - from, datagram, RandomDelay());
        }
    }

    private uint RandomDelay() => Delay + (Jitter == 0 ? 0 : (uint)_random.Next((int)Jitter + 1));

    private void Enqueue(int to, SimulatedDatagram datagram, uint delay) =>
        _inFlight.Enqueue((to, datagram), (Now + delay, _order++));
}
