using BenchmarkDotNet.Attributes;
using Kcptun.Crypto;
using Kcptun.Diagnostics;
using Kcptun.Kcp;
using Kcptun.Transport;

namespace Kcptun.Benchmarks.Transport;

/// <summary>
/// Per-datagram cost of the transport's packet pipeline without sockets: a sending and a receiving session's KCP,
/// FEC and packet protection wired back to back in memory. One operation = one full-size data segment (mtu 1350)
/// sent, sealed, opened, FEC-dispatched, input and read, plus its share of the ACK datagrams going back (and the
/// parity datagrams with FEC). <c>Send</c> is the send half alone (FEC encode + seal of one ready datagram).
/// Steady state must allocate nothing.
/// </summary>
[MemoryDiagnoser]
public class PacketPipelineBenchmarks
{
    private const int SegmentsPerInvoke = 16;
    private const uint Conversation = 0x0BADCAFE;

    private Side _sender = null!;
    private Side _receiver = null!;
    private byte[] _chunk = null!;
    private readonly byte[] _readBuffer = new byte[64 * 1024];
    private byte[] _sendOnly = null!;
    private int _sendOnlyLength;
    private PacketPipeline _sendOnlyPipeline = null!;
    private readonly Queue _discard = new();
    private uint _now = 1;

    [Params("none", "aes", "salsa20")]
    public string Crypt { get; set; } = "none";

    [Params(false, true)]
    public bool Fec { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        byte[] key = PacketProtection.DeriveKey("bench");
        var options = new KcpSessionOptions
        {
            DataShards = Fec ? 10 : 0,
            ParityShards = Fec ? 3 : 0,
            ProtectionFactory = () => PacketProtection.Create(Crypt, key, WireGeneration.Debian),
        };
        _sender = new Side(options);
        _receiver = new Side(options);
        _chunk = new byte[_sender.Kcp.Mss];
        new Random(1).NextBytes(_chunk);

        _sendOnlyPipeline = new PacketPipeline(options.ProtectionFactory(), options, new SnmpCounters(), _discard);
        _sendOnly = new byte[KcpSessionOptions.MaxDatagramSize + KcpControlBlock.OutputSlack];
        _sendOnlyLength = 1350;
        new Random(2).NextBytes(_sendOnly);

        // Warm up to steady state: pools filled, windows open.
        for (int i = 0; i < 64; i++)
        {
            TransferSegments();
            Send();
        }
    }

    [Benchmark(OperationsPerInvoke = SegmentsPerInvoke)]
    public void TransferSegments()
    {
        for (int i = 0; i < SegmentsPerInvoke; i++)
        {
            _sender.Kcp.Send(_chunk);
        }

        _now++;
        _sender.Kcp.Flush(_now);
        _sender.Outbox.DeliverTo(_receiver, _now);
        while (_receiver.Kcp.Receive(_readBuffer) > 0)
        {
        }

        _receiver.Kcp.Flush(_now);
        _receiver.Outbox.DeliverTo(_sender, _now);
    }

    [Benchmark]
    public void Send()
    {
        // Sealing encrypts in place; the content does not matter for the cost, only the length.
        _sendOnlyPipeline.Output(_sendOnly, _sendOnlyLength);
        _discard.Clear();
    }

    /// <summary>One session's KCP, pipeline and opener, with an in-memory outbox for what it sends.</summary>
    private sealed class Side
    {
        public Side(KcpSessionOptions options)
        {
            Counters = new SnmpCounters();
            Opener = options.ProtectionFactory();
            Pipeline = new PacketPipeline(options.ProtectionFactory(), options, Counters, Outbox);
            Kcp = new KcpControlBlock(Conversation, Pipeline.Output, Pipeline.ReservedSize, Counters)
            {
                StreamMode = true,
            };
            Kcp.FlushOptions = new KcpFlushOptions { NoDelay = true, Interval = 10, FastResend = 2, UseCongestionWindow = false };
            Kcp.SetWindowSize(1024, 1024);
            Kcp.SetMtu(1350 - Pipeline.TrailerSize);
        }

        public SnmpCounters Counters { get; }

        public PacketProtection Opener { get; }

        public PacketPipeline Pipeline { get; }

        public KcpControlBlock Kcp { get; }

        public Queue Outbox { get; } = new();

        public void Receive(Span<byte> datagram, uint now)
        {
            if (Opener.TryOpen(datagram, out Range range))
            {
                Pipeline.Input(datagram[range], Kcp, now);
            }
        }
    }

    /// <summary>A fixed ring of datagram buffers: the in-memory "network".</summary>
    private sealed class Queue : IDatagramSink
    {
        private readonly byte[][] _buffers = Enumerable.Range(0, 256).Select(_ => new byte[1600]).ToArray();
        private readonly int[] _lengths = new int[256];
        private int _count;

        public void Send(ReadOnlySpan<byte> datagram)
        {
            if (_count == _buffers.Length)
            {
                return; // a full network drops
            }

            datagram.CopyTo(_buffers[_count]);
            _lengths[_count++] = datagram.Length;
        }

        public void DeliverTo(Side side, uint now)
        {
            for (int i = 0; i < _count; i++)
            {
                side.Receive(_buffers[i].AsSpan(0, _lengths[i]), now);
            }

            _count = 0;
        }

        public void Clear() => _count = 0;
    }
}
