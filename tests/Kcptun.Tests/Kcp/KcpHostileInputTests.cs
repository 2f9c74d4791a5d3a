using Kcptun.Kcp;
using static Kcptun.Tests.Kcp.KcpHarness;

namespace Kcptun.Tests.Kcp;

/// <summary>Hostile input returns an error code, never throws, and leaves a usable control block.</summary>
public class KcpHostileInputTests
{
    [Fact]
    public void Short_packet_is_rejected()
    {
        var h = new KcpHarness();
        for (var n = 0; n < KcpSegmentHeader.Size; n++)
        {
            Assert.Equal(KcpInputResult.TooShort, h.Block.Input(new byte[n], 0));
        }
    }

    [Fact]
    public void Wrong_conversation_is_rejected_after_the_good_segments_before_it()
    {
        var h = new KcpHarness();
        var rc = h.Input(1, Segment(KcpCommand.Push, sn: 0, data: [1]), Segment(KcpCommand.Push, sn: 1, data: [2], conv: Conv + 1));
        Assert.Equal(KcpInputResult.ForeignConversation, rc);
        Assert.Equal(1u, h.Block.ReceiveNext);
        Assert.Equal(0, h.Counters.InSegs); // kcp-go counts InSegs only for packets without error
    }

    [Theory]
    [InlineData(0)]
    [InlineData(80)]
    [InlineData(85)]
    [InlineData(255)]
    public void Unknown_command_is_rejected(byte command)
    {
        var h = new KcpHarness();
        Assert.Equal(KcpInputResult.UnknownCommand, h.Input(1, Segment((KcpCommand)command, sn: 0)));
        Assert.Equal(32, h.Block.RemoteWindow);
    }

    [Theory]
    [InlineData(1u)]
    [InlineData(1000u)]
    [InlineData(0x7FFFFFFFu)]
    [InlineData(0xFFFFFFFFu)]
    public void Length_beyond_the_data_is_rejected(uint length)
    {
        var h = new KcpHarness();
        var packet = Packet(Segment(KcpCommand.Push, sn: 0));
        BitConverter.TryWriteBytes(packet.AsSpan(20), length);
        Assert.Equal(KcpInputResult.Truncated, h.Block.Input(packet, 0));
        Assert.Equal(0, h.Block.PendingAcks);
    }

    [Fact]
    public void Absurd_window_is_accepted_and_bounded_by_the_send_window()
    {
        var h = new KcpHarness();
        h.Block.FlushOptions = new KcpFlushOptions { NoDelay = false, Interval = 10, FastResend = 0, UseCongestionWindow = false };
        Assert.Equal(KcpInputResult.Accepted, h.Input(1, Segment(KcpCommand.WindowTell, wnd: ushort.MaxValue)));
        Assert.Equal(ushort.MaxValue, h.Block.RemoteWindow);
        h.Block.Send(new byte[h.Block.Mss * 40]);
        h.Block.Flush(2);
        Assert.Equal(32, h.Pushes.Count());
    }

    [Fact]
    public void Fragment_count_beyond_the_receive_window_is_rejected_in_message_mode_and_ignored_in_stream_mode()
    {
        var message = new KcpHarness(stream: false);
        Assert.Equal(KcpInputResult.FragmentOutOfWindow, message.Input(1, Segment(KcpCommand.Push, sn: 0, frg: 32, data: [1])));
        Assert.Equal(KcpInputResult.Accepted, message.Input(1, Segment(KcpCommand.Push, sn: 0, frg: 31, data: [1])));

        var stream = new KcpHarness();
        Assert.Equal(KcpInputResult.Accepted, stream.Input(1, Segment(KcpCommand.Push, sn: 0, frg: 255, data: [1, 2])));
        Assert.Equal(2, stream.Block.Receive(new byte[8]));
    }

    [Fact]
    public void Una_and_ack_beyond_anything_sent_are_harmless()
    {
        var h = new KcpHarness();
        h.Block.Send(new byte[3000]);
        h.Block.Flush(0);
        Assert.Equal(KcpInputResult.Accepted, h.Input(1, Segment(KcpCommand.Ack, sn: 0xFFFF_FFF0, ts: 5, una: 0x7000_0000)));
        Assert.Equal(0, h.Block.WaitingToSend);
        Assert.Equal(h.Block.SendNext, h.Block.SendUnacknowledged);
        Assert.Equal(KcpInputResult.Accepted, h.Input(2, Segment(KcpCommand.Push, sn: 0x8000_0000, data: [1])));
        Assert.Equal(0, h.Block.PendingAcks);
    }

    [Fact]
    public void Random_garbage_never_throws_and_the_block_still_works()
    {
        var h = new KcpHarness();
        var random = new Random(5);
        for (var i = 0; i < 20_000; i++)
        {
            var packet = new byte[random.Next(0, 200)];
            random.NextBytes(packet);
            if (packet.Length >= 5 && random.Next(2) == 0)
            {
                BitConverter.TryWriteBytes(packet, Conv);
                packet[4] = (byte)random.Next(80, 86);
                if (packet.Length >= 24 && random.Next(2) == 0)
                {
                    BitConverter.TryWriteBytes(packet.AsSpan(20), (uint)random.Next(0, packet.Length - 23));
                }
            }

            bool regular = random.Next(2) == 0;
            h.Block.AckNoDelay = random.Next(2) == 0;
            var rc = regular ? h.Block.Input(packet, (uint)i) : h.Block.InputRecovered(packet, (uint)i);
            Assert.True(Enum.IsDefined(rc), rc.ToString());
            if (random.Next(10) == 0)
            {
                h.Block.Flush((uint)i);
                h.Block.Receive(new byte[random.Next(0, 3000)]);
            }
        }

        // Still a working endpoint: a clean peer can push a segment in order after whatever rcv_nxt now is.
        var next = h.Block.ReceiveNext;
        while (h.Block.Receive(new byte[65536]) >= 0)
        {
        }

        Assert.Equal(KcpInputResult.Accepted, h.Input(1, Segment(KcpCommand.Push, sn: h.Block.ReceiveNext, data: [42])));
        Assert.True(h.Block.ReceiveNext >= next);
    }
}
