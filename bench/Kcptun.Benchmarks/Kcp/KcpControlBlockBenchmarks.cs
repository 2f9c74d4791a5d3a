using BenchmarkDotNet.Attributes;
using Kcptun.Kcp;

namespace Kcptun.Benchmarks.Kcp;

/// <summary>
/// The control block's hot paths with a full 1024-segment window at MTU 1350 (mss 1326), in steady state after
/// warm-up so the segment buffer pool is primed. Figures are per segment (OperationsPerInvoke = 1024).
/// </summary>
[MemoryDiagnoser]
public class KcpControlBlockBenchmarks
{
    private const int Window = 1024;
    private const uint Conv = 0x12345678;
    private KcpControlBlock _sender = null!;
    private KcpControlBlock _receiver = null!;
    private byte[] _pushData = null!;
    private byte[] _pushDatagram = null!;
    private byte[] _readBuffer = null!;
    private byte[] _data = null!;
    private byte[][] _ackDatagrams = null!;
    private byte[] _unaDatagram = null!;
    private uint _now;
    private long _bytesOut;

    [GlobalSetup]
    public void Setup()
    {
        _sender = new KcpControlBlock(Conv, (_, length) => _bytesOut += length) { StreamMode = true };
        _sender.FlushOptions = new KcpFlushOptions { NoDelay = true, Interval = 10, FastResend = 2, UseCongestionWindow = false };
        _sender.SetWindowSize(Window, Window);
        _sender.SetMtu(1350);
        _data = new byte[_sender.Mss * Window];
        _ackDatagrams = BuildAckDatagrams(_sender.Mtu);
        _unaDatagram = new byte[KcpSegmentHeader.Size];

        // Open the peer's window (rmt_wnd starts at 32) so a whole 1024-segment window is admitted.
        new KcpSegmentHeader(Conv, KcpCommand.WindowTell, 0, Window, 0, 0, 0, 0).Write(_unaDatagram);
        _sender.Input(_unaDatagram, 0);

        _receiver = new KcpControlBlock(Conv, (_, length) => _bytesOut += length) { StreamMode = true };
        _receiver.FlushOptions = new KcpFlushOptions { NoDelay = true, Interval = 10, FastResend = 2, UseCongestionWindow = false };
        _receiver.SetWindowSize(Window, Window);
        _receiver.SetMtu(1350);
        _pushData = new byte[_receiver.Mss];
        _pushDatagram = new byte[KcpSegmentHeader.Size + _pushData.Length];
        _readBuffer = new byte[65536];
    }

    /// <summary>Queue 1024 segments, flush them (1024 PUSH into ~1024 datagrams), then one una clears the window.</summary>
    [Benchmark(OperationsPerInvoke = Window)]
    public long FlushFullWindow()
    {
        SendAndFlush();
        ClearWindow();
        return _bytesOut;
    }

    /// <summary>As <see cref="FlushFullWindow"/>, plus 1024 individual ACKs (19 per datagram, kcp-go's fast-ack scan) before the una.</summary>
    [Benchmark(OperationsPerInvoke = Window)]
    public long FlushAndInputAckBurst()
    {
        var first = SendAndFlush();
        _now++;
        for (var d = 0; d < _ackDatagrams.Length; d++)
        {
            Rebase(d, first);
            _sender.Input(_ackDatagrams[d], _now);
        }

        ClearWindow();
        return _bytesOut;
    }

    /// <summary>A timer or write flush with 1024 segments in flight and nothing due: the cost of kcp-go's full scan.</summary>
    [Benchmark(OperationsPerInvoke = Window)]
    public uint FlushIdleWithFullWindowInFlight()
    {
        if (_sender.WaitingToSend == 0)
        {
            SendAndFlush();
        }

        uint next = 0;
        for (var i = 0; i < Window; i++)
        {
            next += _sender.Flush(_now);
        }

        return next;
    }

    /// <summary>Receive side: 1024 PUSH datagrams in order, read out, then one flush of the ACKs (per segment).</summary>
    [Benchmark(OperationsPerInvoke = Window)]
    public long InputFullWindowAndRead()
    {
        var first = _receiver.ReceiveNext;
        for (var i = 0; i < Window; i++)
        {
            new KcpSegmentHeader(Conv, KcpCommand.Push, 0, Window, _now, first + (uint)i, 0, (uint)_pushData.Length).Write(_pushDatagram);
            _receiver.Input(_pushDatagram, _now);
        }

        long read = 0;
        int r;
        while ((r = _receiver.Receive(_readBuffer)) > 0)
        {
            read += r;
        }

        _receiver.Flush(++_now);
        return read;
    }

    private uint SendAndFlush()
    {
        var first = _sender.SendNext;
        _sender.Send(_data);
        _sender.Flush(++_now);
        return first;
    }

    private void ClearWindow()
    {
        new KcpSegmentHeader(Conv, KcpCommand.Ack, 0, Window, _now, _sender.SendNext - 1, _sender.SendNext, 0).Write(_unaDatagram);
        _sender.Input(_unaDatagram, ++_now);
    }

    // ACK datagrams for sn offsets 0..1023 (ascending), una left at the window start.
    private static byte[][] BuildAckDatagrams(int mtu)
    {
        var perDatagram = mtu / KcpSegmentHeader.Size;
        var list = new List<byte[]>();
        for (var start = 0; start < Window; start += perDatagram)
        {
            var count = Math.Min(perDatagram, Window - start);
            list.Add(new byte[count * KcpSegmentHeader.Size]);
        }

        return [.. list];
    }

    private void Rebase(int datagramIndex, uint first)
    {
        var datagram = _ackDatagrams[datagramIndex];
        var index = datagramIndex * (_sender.Mtu / KcpSegmentHeader.Size);
        for (var offset = 0; offset < datagram.Length; offset += KcpSegmentHeader.Size)
        {
            new KcpSegmentHeader(Conv, KcpCommand.Ack, 0, Window, _now - 1, first + (uint)index++, first, 0).Write(datagram.AsSpan(offset));
        }
    }
}

/// <summary>Two control blocks joined in memory (no loss): throughput of the pure state machine, per MiB.</summary>
[MemoryDiagnoser]
public class KcpLoopbackBenchmarks
{
    private const uint Conv = 0x12345678;
    private readonly Queue<(int To, byte[] Buffer, int Length)> _wire = new();
    private readonly Stack<byte[]> _free = new();
    private KcpControlBlock[] _blocks = null!;
    private byte[] _chunk = null!;
    private byte[] _readBuffer = null!;
    private uint _now;

    [GlobalSetup]
    public void Setup()
    {
        _blocks = [Create(1), Create(0)];
        _chunk = new byte[16384];
        _readBuffer = new byte[65536];
        new Random(1).NextBytes(_chunk);
    }

    [Benchmark]
    public long Transfer1MiB()
    {
        const long total = 1 << 20;
        long written = 0, read = 0;
        var sender = _blocks[0];
        var receiver = _blocks[1];
        while (read < total)
        {
            while (written < total && sender.WaitingToSend < sender.SendWindow)
            {
                var n = (int)Math.Min(_chunk.Length, total - written);
                sender.Send(_chunk.AsSpan(0, n));
                sender.Flush(_now);
                written += n;
            }

            while (_wire.TryDequeue(out var item))
            {
                _blocks[item.To].Input(item.Buffer.AsSpan(0, item.Length), _now);
                _free.Push(item.Buffer);
            }

            int r;
            while ((r = receiver.Receive(_readBuffer)) > 0)
            {
                read += r;
            }

            _now += 10;
            receiver.Flush(_now);
            sender.Flush(_now);
        }

        return read;
    }

    private KcpControlBlock Create(int peer)
    {
        var block = new KcpControlBlock(Conv, (buffer, length) =>
        {
            var copy = _free.Count > 0 ? _free.Pop() : new byte[1400];
            buffer[..length].CopyTo(copy);
            _wire.Enqueue((peer, copy, length));
        }) { StreamMode = true };
        block.FlushOptions = new KcpFlushOptions { NoDelay = true, Interval = 10, FastResend = 2, UseCongestionWindow = false };
        block.SetWindowSize(1024, 1024);
        block.SetMtu(1350);
        return block;
    }
}
