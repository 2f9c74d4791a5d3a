using Kcptun.Kcp;
using Kcptun.Tests.Support;

namespace Kcptun.Tests.Kcp;

/// <summary>
/// Replays the real Debian client/server capture (vectors/trace_debian_none_nocomp.json: crypt none, FEC 10/3, mode
/// fast) through one control block per side, driving it with the same events at the same clock values, and checks
/// that every datagram it emits is byte for byte the KCP part of what the Go peer sent (ACK rule, wnd, una, ts, sn).
/// </summary>
public class KcpTraceReplayTests
{
    private const int Reserved = 28; // 16 nonce + 4 CRC + 8 FEC header

    private readonly byte[][] _kcp;
    private readonly uint _conv;

    public KcpTraceReplayTests()
    {
        using var doc = Vectors.Load("trace_debian_none_nocomp.json");
        _kcp = doc.RootElement.GetProperty("datagrams").EnumerateArray()
            .Select(d => Vectors.Hex(d.GetProperty("datagram_hex").GetString()!)[Reserved..])
            .ToArray();
        Assert.True(KcpSegmentHeader.TryRead(_kcp[0], out var first));
        _conv = first.Conversation;
    }

    [Fact]
    public void Client_side_emits_what_the_go_client_sent()
    {
        var (block, output) = Create(sendWindow: 128, receiveWindow: 512);
        var read = new byte[4096];

        Assert.Equal(8, block.Send(Data(0)));
        block.Flush(1237);
        Expect(output, 0);
        Assert.Equal(19, block.Send(Data(1)));
        block.Flush(1238);
        Expect(output, 1);

        Input(block, 2, 1238); // ACK sn 1 una 2: the window slides, the flush has nothing to send
        Expect(output);
        Input(block, 3, 1239); // the echo: its ACK waits for the timer
        Expect(output);
        Assert.Equal(19, block.Receive(read));
        block.Flush(1267);
        Expect(output, 4);

        block.Send(Data(5));
        block.Flush(1540);
        Expect(output, 5);
        Input(block, 6, 1541); // ACK + PUSH: the slide flushes the ACK at once, wnd 511 (one segment unread)
        Expect(output, 7);
        Assert.Equal(8, block.Receive(read));

        block.Send(Data(8));
        block.Flush(11238);
        Expect(output, 8);
        Input(block, 9, 11239);
        Expect(output, 10);
        Assert.Equal(0, block.WaitingToSend);
    }

    [Fact]
    public void Server_side_emits_what_the_go_server_sent()
    {
        var (block, output) = Create(sendWindow: 1024, receiveWindow: 1024);
        var read = new byte[4096];

        Input(block, 0, 1235);
        Input(block, 1, 1235);
        Expect(output);
        block.Flush(1236); // one ACK: sn 0 is covered by una 2 and is not the last
        Expect(output, 2);
        Assert.Equal(27, block.Receive(read));
        Assert.Equal(Data(0).Concat(Data(1)), read[..27]);

        block.Send(Data(3));
        block.Flush(1237);
        Expect(output, 3);
        Input(block, 4, 1266);
        Expect(output);

        Input(block, 5, 1538);
        Assert.Equal(8, block.Receive(read));
        block.Send(Data(6));
        block.Flush(1539); // ACK then PUSH in one datagram
        Expect(output, 6);
        Input(block, 7, 1540);
        Expect(output);

        Input(block, 8, 11236);
        block.Send(Data(9));
        block.Flush(11236); // sn 3 still unread: wnd 1023
        Expect(output, 9);
        Input(block, 10, 11237);
        Expect(output);
        Assert.Equal(0, block.WaitingToSend);
    }

    private (KcpControlBlock Block, List<byte[]> Output) Create(int sendWindow, int receiveWindow)
    {
        var output = new List<byte[]>();
        var block = new KcpControlBlock(_conv, (buffer, length) => output.Add(buffer[Reserved..length].ToArray()), Reserved)
        {
            StreamMode = true,
        };
        block.FlushOptions = new KcpFlushOptions { NoDelay = false, Interval = 30, FastResend = 2, UseCongestionWindow = false }; // mode fast
        block.SetWindowSize(sendWindow, receiveWindow);
        Assert.True(block.SetMtu(1350));
        return (block, output);
    }

    private void Input(KcpControlBlock block, int datagram, uint now) =>
        Assert.Equal(KcpInputResult.Accepted, block.Input(_kcp[datagram], now));

    // The data of the (last) PUSH in a captured datagram.
    private byte[] Data(int datagram)
    {
        var segments = KcpHarness.Decode(_kcp[datagram]);
        return segments.Last(s => s.Command == KcpCommand.Push).Data;
    }

    private void Expect(List<byte[]> output, params int[] datagrams)
    {
        Assert.Equal(datagrams.Select(d => Vectors.Hex(_kcp[d])), output.Select(o => Vectors.Hex(o)));
        output.Clear();
    }
}
