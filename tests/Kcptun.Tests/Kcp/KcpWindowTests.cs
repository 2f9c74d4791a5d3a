using Kcptun.Kcp;
using static Kcptun.Tests.Kcp.KcpHarness;

namespace Kcptun.Tests.Kcp;

/// <summary>Send/receive windows, window probing (docs/protocol/kcp.md §6.9) and congestion control on and off (6.8).</summary>
public class KcpWindowTests
{
    [Fact]
    public void Admits_no_more_than_the_smaller_of_send_and_remote_window()
    {
        var h = new KcpHarness();
        h.Block.FlushOptions = new KcpFlushOptions { NoDelay = false, Interval = 10, FastResend = 0, UseCongestionWindow = false };
        h.Block.SetWindowSize(8, 32);
        h.Block.Send(new byte[h.Block.Mss * 20]);
        h.Block.Flush(0);
        Assert.Equal(8, h.Pushes.Count());
        Assert.Equal(20, h.Block.WaitingToSend);

        h.Clear();
        Assert.Equal(KcpInputResult.Accepted, h.Input(5, Segment(KcpCommand.Ack, sn: 0, ts: 0, una: 8, wnd: 3))); // slides: flushes
        Assert.Equal(3, h.Block.RemoteWindow);
        Assert.Equal([8u, 9u, 10u], h.Pushes.Select(s => s.Sn));
    }

    [Fact]
    public void Advertises_the_free_receive_window()
    {
        var h = new KcpHarness();
        h.Block.SetWindowSize(32, 10);
        for (uint sn = 0; sn < 4; sn++)
        {
            Assert.Equal(KcpInputResult.Accepted, h.Input(1, Segment(KcpCommand.Push, sn: sn, data: [1, 2, 3])));
        }

        h.Block.Flush(2);
        Assert.All(h.Output, s => Assert.Equal(6, s.Header.Window));
        Assert.All(h.Output, s => Assert.Equal(4u, s.Header.Unacknowledged));
    }

    [Fact]
    public void Zero_remote_window_stops_admission_and_probes_after_7_s_then_1_5x_longer()
    {
        var h = new KcpHarness();
        h.Block.FlushOptions = new KcpFlushOptions { NoDelay = false, Interval = 100, FastResend = 0, UseCongestionWindow = false };
        Assert.Equal(KcpInputResult.Accepted, h.Input(0, Segment(KcpCommand.WindowTell, wnd: 0)));
        Assert.Equal(0, h.Block.RemoteWindow);
        h.Block.Send(new byte[100]);
        var wasks = new List<uint>();
        for (uint now = 1000; now <= 1000 + 33_250; now += 50)
        {
            h.Clear();
            h.Block.Flush(now);
            Assert.Empty(h.Pushes);
            if (h.Output.Any(s => s.Command == KcpCommand.WindowAsk))
            {
                wasks.Add(now - 1000);
            }
        }

        Assert.Equal([7000u, 17_500u, 33_250u], wasks);

        // The WINS answer reopens the window; data flows at the next flush.
        h.Clear();
        Assert.Equal(KcpInputResult.Accepted, h.Input(40_000, Segment(KcpCommand.WindowTell, wnd: 32)));
        h.Block.Flush(40_001);
        Assert.Single(h.Pushes);
    }

    [Fact]
    public void Window_ask_is_answered_with_window_tell_at_the_next_flush()
    {
        var h = new KcpHarness();
        Assert.Equal(KcpInputResult.Accepted, h.Input(0, Segment(KcpCommand.WindowAsk)));
        Assert.Empty(h.Output);
        h.Block.Flush(1);
        var tell = Assert.Single(h.Output);
        Assert.Equal(KcpCommand.WindowTell, tell.Command);
        Assert.Equal(32, tell.Header.Window);
        h.Clear();
        h.Block.Flush(2);
        Assert.Empty(h.Output);
    }

    [Fact]
    public void Window_tell_when_a_full_receive_queue_drains()
    {
        var h = new KcpHarness();
        h.Block.SetWindowSize(32, 4);
        for (uint sn = 0; sn < 4; sn++)
        {
            Assert.Equal(KcpInputResult.Accepted, h.Input(1, Segment(KcpCommand.Push, sn: sn, data: [(byte)sn])));
        }

        // rcv_nxt + rcv_wnd = 8: sn 8 is outside the window, neither stored nor acknowledged.
        Assert.Equal(KcpInputResult.Accepted, h.Input(1, Segment(KcpCommand.Push, sn: 8, data: [8])));
        Assert.Equal(4, h.Block.ReceiveQueueCount);
        Assert.Equal(0, h.Block.ReceiveBufferCount);
        Assert.Equal(1, h.Counters.RepeatSegs);
        h.Block.Flush(2);
        Assert.Equal([3u], h.Acks.Select(a => a.Sn));
        Assert.All(h.Output, s => Assert.Equal(0, s.Header.Window));

        h.Clear();
        Assert.Equal(1, h.Block.Receive(new byte[1]));
        h.Block.Flush(3);
        var tell = Assert.Single(h.Output);
        Assert.Equal(KcpCommand.WindowTell, tell.Command);
        Assert.Equal(1, tell.Header.Window);
    }

    [Fact]
    public void Receiver_that_stops_reading_stalls_the_sender_which_resumes_after_the_window_reopens()
    {
        var link = new SimulatedLink(seed: 3);
        link.Configure("fast", 64, 16);
        var receiver = link.Blocks[1];
        var data = new byte[64 * 1024];
        new Random(4).NextBytes(data);
        long written = 0;
        link.Application = l =>
        {
            var s = l.Blocks[0];
            while (written < data.Length && s.WaitingToSend < Math.Min(s.SendWindow, s.RemoteWindow))
            {
                written += l.Write(0, data.AsSpan((int)written, (int)Math.Min(1000, data.Length - written)));
            }
        };
        link.RunFor(5000);
        Assert.Equal(0, link.Blocks[0].RemoteWindow);
        Assert.Equal(16, receiver.ReceiveQueueCount);

        var received = new List<byte>();
        var buffer = new byte[4096];
        link.Application += l =>
        {
            int r;
            while ((r = receiver.Receive(buffer)) > 0)
            {
                received.AddRange(buffer.AsSpan(0, r).ToArray());
            }
        };
        Assert.True(link.RunUntil(() => received.Count == data.Length, 60_000));
        Assert.Equal(data, received.ToArray());
    }

    [Fact]
    public void Congestion_control_starts_with_an_empty_window_then_grows_by_slow_start()
    {
        var h = new KcpHarness();
        h.Block.FlushOptions = new KcpFlushOptions { NoDelay = false, Interval = 10, FastResend = 0, UseCongestionWindow = true };
        h.Block.Send(new byte[h.Block.Mss * 10]);
        h.Block.Flush(0);
        Assert.Empty(h.Pushes); // cwnd 0 admits nothing, then becomes 1
        Assert.Equal(1, h.Block.CongestionWindow);
        h.Block.Flush(1);
        Assert.Single(h.Pushes);

        h.Clear();
        Assert.Equal(KcpInputResult.Accepted, h.Input(20, Segment(KcpCommand.Ack, sn: 0, ts: 1, una: 1)));
        Assert.Equal(2, h.Block.CongestionWindow); // slow start: +1 per una advance
        Assert.Equal(2, h.Pushes.Count());
    }

    [Fact]
    public void Congestion_control_collapses_to_one_on_timeout_and_halves_on_fast_retransmit()
    {
        var h = new KcpHarness();
        h.Block.FlushOptions = new KcpFlushOptions { NoDelay = false, Interval = 10, FastResend = 2, UseCongestionWindow = true };
        h.Block.SetWindowSize(64, 64);
        h.Block.Send(new byte[h.Block.Mss * 40]);
        uint now = 0;
        h.Block.Flush(now);
        for (uint una = 1; una <= 12; una++)
        {
            h.Block.Flush(++now);
            Assert.Equal(KcpInputResult.Accepted, h.Input(++now, Segment(KcpCommand.Ack, sn: una - 1, ts: now - 1, una: una)));
        }

        Assert.True(h.Block.CongestionWindow > 2);
        var inflight = h.Block.SendNext - h.Block.SendUnacknowledged;
        Assert.True(inflight >= 4);

        // Two ACKs for later segments: the first unacked segment is fast-resent; ssthresh = inflight / 2, cwnd = ssthresh + resend.
        var una0 = h.Block.SendUnacknowledged;
        Assert.Equal(KcpInputResult.Accepted, h.Input(++now, Segment(KcpCommand.Ack, sn: una0 + 1, ts: now), Segment(KcpCommand.Ack, sn: una0 + 2, ts: now)));
        h.Block.Flush(++now);
        Assert.Equal(1, h.Counters.FastRetransSegs);
        Assert.Equal((int)Math.Max(inflight / 2, 2), h.Block.SlowStartThreshold);
        Assert.Equal(h.Block.SlowStartThreshold + 2, h.Block.CongestionWindow);

        // A timeout: cwnd 1.
        h.Block.Flush(now + 5000);
        Assert.True(h.Counters.LostSegs > 0);
        Assert.Equal(1, h.Block.CongestionWindow);
    }
}
