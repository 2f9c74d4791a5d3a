using Kcptun.Kcp;
using static Kcptun.Tests.Kcp.KcpHarness;

namespace Kcptun.Tests.Kcp;

/// <summary>MTU/reserved bytes, nodelay/interval clamps, windows and counters.</summary>
public class KcpSettingsTests
{
    [Fact]
    public void Mss_leaves_room_for_the_header_and_the_reserved_prefix()
    {
        var h = new KcpHarness(reserved: 28);
        Assert.Equal(1400 - 24 - 28, h.Block.Mss);
        Assert.True(h.Block.SetMtu(1350));
        Assert.Equal(1350, h.Block.Mtu);
        Assert.Equal(1298, h.Block.Mss);
        Assert.False(h.Block.SetMtu(49));
        Assert.False(h.Block.SetMtu(28 + 24)); // mss would be 0
        Assert.Equal(1350, h.Block.Mtu);
        Assert.True(h.Block.SetMtu(28 + 24 + 26));
        Assert.Equal(26, h.Block.Mss);
    }

    [Fact]
    public void Datagrams_fill_to_the_mtu_and_leave_the_reserved_prefix_alone()
    {
        var datagrams = new List<byte[]>();
        byte mark = 0;
        var block = new KcpControlBlock(Conv, (buffer, length) =>
        {
            Assert.True(length <= 1350);
            Assert.True(buffer[..28].IndexOfAnyExcept(mark) < 0, "reserved prefix was written");
            datagrams.Add(buffer[..length].ToArray());
            mark = 0xEE;
            buffer[..28].Fill(mark);
        }, reserved: 28)
        { StreamMode = true };
        block.FlushOptions = block.FlushOptions with { UseCongestionWindow = false };
        block.SetMtu(1350);
        block.SetWindowSize(256, 256);
        block.Send(new byte[(1298 * 5) + 10]);
        for (uint sn = 0; sn < 200; sn++)
        {
            Assert.Equal(KcpInputResult.Accepted, block.Input(Packet(Segment(KcpCommand.Push, sn: sn, data: [1])), 0));
        }

        block.Flush(1);
        var acks = 1; // only the last ACK survives the una rule
        var segments = datagrams.Sum(d => Decode(d.AsSpan(28)).Count);
        Assert.Equal(acks + 6, segments);
        Assert.All(datagrams.SkipLast(1), d => Assert.True(d.Length > 1350 - 1298 - 24));
    }

    [Fact]
    public void Acks_pack_many_to_a_datagram()
    {
        var h = new KcpHarness(reserved: 20);
        h.Block.SetMtu(20 + (24 * 10));
        h.Block.SetWindowSize(32, 64);
        for (uint sn = 63; sn > 0; sn--)
        {
            Assert.Equal(KcpInputResult.Accepted, h.Input(0, Segment(KcpCommand.Push, sn: sn, data: [1])));
        }

        h.Block.Flush(1);
        Assert.Equal(63, h.Acks.Count());
        Assert.Equal([10, 10, 10, 10, 10, 10, 3], h.Datagrams.Select(d => (d.Length - 20) / 24));
    }

    [Theory]
    [InlineData(0, 10)]
    [InlineData(9, 10)]
    [InlineData(10, 10)]
    [InlineData(4999, 4999)]
    [InlineData(5001, 5000)]
    [InlineData(100_000, 5000)]
    public void Interval_is_clamped(int interval, int expected)
    {
        var h = new KcpHarness();
        h.Block.FlushOptions = h.Block.FlushOptions with { Interval = interval };
        Assert.Equal(expected, h.Block.Interval);
        Assert.Equal(expected, h.Block.FlushOptions.Interval);
    }

    [Fact]
    public void Negative_tuning_values_are_refused()
    {
        var h = new KcpHarness();
        Assert.Throws<ArgumentOutOfRangeException>(() => h.Block.FlushOptions = h.Block.FlushOptions with { Interval = -1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => h.Block.FlushOptions = h.Block.FlushOptions with { FastResend = -1 });
        Assert.Equal(KcpControlBlock.DefaultInterval, h.Block.Interval);
    }

    [Fact]
    public void Negative_session_options_keep_the_kcp_defaults()
    {
        // KcpSessionOptions keeps kcptun's flag semantics: a negative value leaves KCP's default.
        var options = new Kcptun.Transport.KcpSessionOptions { NoDelay = -1, Interval = -1, Resend = -1, NoCongestionControl = -1 };
        Assert.Equal(KcpFlushOptions.Default, options.KcpFlushOptions);
        var fast = new Kcptun.Transport.KcpSessionOptions { NoDelay = 1, Interval = 20, Resend = 2, NoCongestionControl = 1 };
        Assert.Equal(new KcpFlushOptions { NoDelay = true, Interval = 20, FastResend = 2, UseCongestionWindow = false }, fast.KcpFlushOptions);
    }

    [Fact]
    public void FlushOptions_read_back_and_with_changes_only_what_it_names()
    {
        var h = new KcpHarness();
        var tuning = new KcpFlushOptions { NoDelay = true, Interval = 20, FastResend = 2, UseCongestionWindow = false };
        h.Block.FlushOptions = tuning;
        Assert.Equal(tuning, h.Block.FlushOptions);
        h.Block.FlushOptions = h.Block.FlushOptions with { Interval = 40 };
        Assert.Equal(1, h.Block.NoDelay);
        Assert.Equal(30, h.Block.MinimumRetransmissionTimeout);
        Assert.Equal(40, h.Block.Interval);
        Assert.Equal(2, h.Block.FastResend);
        Assert.True(h.Block.NoCongestionControl);
        h.Block.FlushOptions = h.Block.FlushOptions with { NoDelay = false, FastResend = 0, UseCongestionWindow = true };
        Assert.Equal(100, h.Block.MinimumRetransmissionTimeout);
        Assert.False(h.Block.NoCongestionControl);
        Assert.Equal(40, h.Block.Interval);
    }

    [Fact]
    public void Window_sizes_ignore_non_positive_values_and_cap_the_receive_window()
    {
        var h = new KcpHarness();
        h.Block.SetWindowSize(128, 512);
        h.Block.SetWindowSize(0, -1);
        Assert.Equal(128, h.Block.SendWindow);
        Assert.Equal(512, h.Block.ReceiveWindow);
        h.Block.SetWindowSize(-1, 1 << 20);
        Assert.Equal(65535, h.Block.ReceiveWindow);
    }

    [Fact]
    public void Receive_window_growth_keeps_out_of_order_segments()
    {
        var h = new KcpHarness();
        Assert.Equal(KcpInputResult.Accepted, h.Input(0, Segment(KcpCommand.Push, sn: 31, data: [31]), Segment(KcpCommand.Push, sn: 1, data: [1])));
        h.Block.SetWindowSize(-1, 1000);
        Assert.Equal(KcpInputResult.Accepted, h.Input(0, Segment(KcpCommand.Push, sn: 500, data: [5])));
        for (uint sn = 0; sn < 501; sn++)
        {
            if (sn is not (1 or 31 or 500))
            {
                Assert.Equal(KcpInputResult.Accepted, h.Input(0, Segment(KcpCommand.Push, sn: sn, data: [(byte)sn])));
            }
        }

        var buffer = new byte[1000];
        Assert.Equal(501, h.Block.Receive(buffer));
        Assert.Equal(1, buffer[1]);
        Assert.Equal(31, buffer[31]);
        Assert.Equal(5, buffer[500]);
    }

    [Fact]
    public void Counters_go_to_the_instance_the_owner_passes()
    {
        var h = new KcpHarness();
        h.Block.Send(new byte[h.Block.Mss * 3]);
        Assert.Equal(KcpInputResult.Accepted, h.Input(0, Segment(KcpCommand.Push, sn: 0, data: [1]), Segment(KcpCommand.WindowAsk)));
        h.Block.Flush(1); // 1 ACK + 1 WINS + 3 PUSH
        Assert.Equal(5, h.Counters.OutSegs);
        Assert.Equal(2, h.Counters.InSegs);
    }

    [Fact]
    public void A_full_large_window_recycles_its_segment_buffers_and_an_idle_block_gives_them_back()
    {
        // 2048-segment windows: every buffer a full window's ACKs return must be kept, or the next window allocates.
        var h = new KcpHarness();
        h.Block.SetWindowSize(2048, 2048);
        h.Block.FlushOptions = new KcpFlushOptions { NoDelay = true, Interval = 10, FastResend = 2, UseCongestionWindow = false };
        var segments = 2000;
        Assert.Equal(KcpInputResult.Accepted, h.Input(0, Segment(KcpCommand.WindowTell, wnd: 4096)));
        h.Block.Send(new byte[h.Block.Mss * segments]);
        h.Block.Flush(1);
        Assert.Equal(segments, h.Pushes.Count());
        Assert.Equal(KcpInputResult.Accepted, h.Input(2, Segment(KcpCommand.Ack, sn: (uint)segments - 1, ts: 1, una: (uint)segments, wnd: 4096)));
        Assert.Equal(0, h.Block.WaitingToSend);
        Assert.Equal(segments, h.Block.PooledBuffers);

        // Still in use within the trim period: kept. After a period in which no send needed them: given back.
        h.Block.Flush(3000);
        Assert.Equal(segments, h.Block.PooledBuffers);
        h.Block.Flush(6000);
        Assert.Equal(segments, h.Block.PooledBuffers);
        h.Block.Flush(11_000);
        Assert.Equal(0, h.Block.PooledBuffers);
    }

    [Fact]
    public void Release_buffers_empties_every_queue()
    {
        var h = new KcpHarness();
        h.Block.Send(new byte[5000]);
        h.Block.Flush(0);
        h.Block.Send(new byte[5000]);
        Assert.Equal(KcpInputResult.Accepted, h.Input(0, Segment(KcpCommand.Push, sn: 3, data: [1]), Segment(KcpCommand.Push, sn: 0, data: [1])));
        h.Block.ReleaseBuffers();
        Assert.Equal(0, h.Block.WaitingToSend);
        Assert.Equal(0, h.Block.ReceiveQueueCount);
        Assert.Equal(0, h.Block.ReceiveBufferCount);
        Assert.Equal(-1, h.Block.PeekSize());
    }
}
