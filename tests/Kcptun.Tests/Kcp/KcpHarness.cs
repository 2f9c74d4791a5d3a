using Kcptun.Diagnostics;
using Kcptun.Kcp;

namespace Kcptun.Tests.Kcp;

/// <summary>A decoded segment as seen on the wire.</summary>
public sealed record WireSegment(KcpSegmentHeader Header, byte[] Data)
{
    public KcpCommand Command => Header.Command;

    public uint Sn => Header.SequenceNumber;
}

/// <summary>One control block whose output datagrams are captured and decoded, plus a builder for input packets.</summary>
public sealed class KcpHarness
{
    public const uint Conv = 0x12345678;

    public KcpHarness(int reserved = 0, bool stream = true)
    {
        Reserved = reserved;
        Block = new KcpControlBlock(Conv, Capture, reserved, Counters) { StreamMode = stream };
        Block.FlushOptions = Block.FlushOptions with { UseCongestionWindow = false }; // congestion control off, as in every kcptun mode; tests that want it turn it on
    }

    public KcpControlBlock Block { get; }

    public SnmpCounters Counters { get; } = new();

    public int Reserved { get; }

    public List<byte[]> Datagrams { get; } = [];

    /// <summary>Every segment output so far, in order.</summary>
    public List<WireSegment> Output { get; } = [];

    public void Clear()
    {
        Datagrams.Clear();
        Output.Clear();
    }

    public IEnumerable<WireSegment> Pushes => Output.Where(s => s.Command == KcpCommand.Push);

    public IEnumerable<WireSegment> Acks => Output.Where(s => s.Command == KcpCommand.Ack);

    public static WireSegment Segment(KcpCommand cmd, uint sn = 0, uint ts = 0, uint una = 0, ushort wnd = 32, byte frg = 0, byte[]? data = null, uint conv = Conv) =>
        new(new KcpSegmentHeader(conv, cmd, frg, wnd, ts, sn, una, (uint)(data?.Length ?? 0)), data ?? []);

    public static byte[] Packet(params WireSegment[] segments)
    {
        var bytes = new List<byte>();
        foreach (var s in segments)
        {
            var header = new byte[KcpSegmentHeader.Size];
            s.Header.Write(header);
            bytes.AddRange(header);
            bytes.AddRange(s.Data);
        }

        return [.. bytes];
    }

    public KcpInputResult Input(uint now, params WireSegment[] segments) => Block.Input(Packet(segments), now);

    public static List<WireSegment> Decode(ReadOnlySpan<byte> kcp)
    {
        var list = new List<WireSegment>();
        while (KcpSegmentHeader.TryRead(kcp, out var header))
        {
            var data = kcp.Slice(KcpSegmentHeader.Size, (int)header.Length).ToArray();
            list.Add(new WireSegment(header, data));
            kcp = kcp[(KcpSegmentHeader.Size + (int)header.Length)..];
        }

        Assert.True(kcp.IsEmpty);
        return list;
    }

    private void Capture(Span<byte> buffer, int length)
    {
        Assert.True(length <= Block.Mtu, $"datagram of {length} bytes exceeds the MTU {Block.Mtu}");
        Assert.True(buffer.Length >= Block.Mtu + KcpControlBlock.OutputSlack);
        Assert.True(length > Reserved);
        var datagram = buffer[..length].ToArray();
        Datagrams.Add(datagram);
        Output.AddRange(Decode(datagram.AsSpan(Reserved)));
    }
}
