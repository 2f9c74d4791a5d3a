using Kcptun.Kcp;
using Kcptun.Kcp.Congestion;

namespace Kcptun.Tests.Kcp.Congestion;

/// <summary>
/// The window reach under bbr (KcpControlBlock.Reach.cs): against a receiver with kcp-go's defaults (rcvwnd 512, ACKs
/// held for its 30 ms flush interval) a sender held to snd_una + rmt_wnd moves one window per RTT plus that hold;
/// on a FIFO path the receiver's rcv_nxt runs ahead of snd_una, and the sender may go past rmt_wnd by what it has
/// earned.
/// </summary>
public class WindowReachTests
{
    private const int GoWindow = 512;

    /// <summary>A 100 ms / 100 Mbit/s path, our bbr sender, a receiver set up as Go's client at its defaults.</summary>
    private static BottleneckLink GoReceiverPath(int seed, double loss = 0)
    {
        var link = new BottleneckLink(1, seed, CongestionControl.Bbr)
        {
            Rate = 12_500,
            Delay = 50,
            QueueLimit = 1_250_000,
            Loss = loss,
            ReverseLoss = loss,
        };
        var receiver = link.Blocks[1];
        receiver.CongestionControl = CongestionControl.Kcp;
        receiver.FlushOptions = new KcpFlushOptions { NoDelay = false, Interval = 30, FastResend = 2, UseCongestionWindow = false };
        receiver.SetWindowSize(128, GoWindow);
        return link;
    }

    /// <summary>What a sender held to the advertised window delivers: a window per RTT plus the ACK hold.</summary>
    private static double WindowBound(BottleneckLink link) =>
        GoWindow * (double)link.Sender(0).Mss / ((2 * link.Delay) + 30);

    [Fact]
    public void Past_a_window_bound_receiver_the_sender_moves_more_than_a_window_per_round_trip_and_nothing_is_dropped()
    {
        var link = GoReceiverPath(seed: 11);
        link.RunFor(3_000);
        var rate = link.Measure(5_000)[0];

        Assert.True(rate > 1.4 * WindowBound(link), $"{rate:F0} B/ms against a window bound of {WindowBound(link):F0}");
        Assert.Equal(0, link.Counters[1].RepeatSegs); // nothing arrived past the receiver's window
        Assert.Equal(0, link.Counters[0].RetransSegs);
        Assert.Equal(link.Sender(0).RemoteWindow, link.Sender(0).WindowReach); // earned in full: at most rmt_wnd
    }

    [Fact]
    public void The_reach_is_earned_and_never_more_than_the_advertised_window()
    {
        var link = GoReceiverPath(seed: 12);
        var sender = link.Sender(0);
        Assert.Equal(KcpControlBlock.InitialWindowReach, sender.WindowReach);
        var peak = 0;
        for (var i = 0; i < 400; i++)
        {
            link.RunFor(10);
            peak = Math.Max(peak, sender.WaitingToSend - sender.QueuedSegments);
            Assert.True(sender.SendLimitSegments <= 2 * sender.RemoteWindow);
        }

        Assert.True(peak > GoWindow, $"in flight peaked at {peak}");
        Assert.True(peak <= 2 * GoWindow, $"in flight peaked at {peak}");
    }

    [Fact]
    public void A_receiver_that_stops_reading_closes_its_window_and_the_reach_does_not_flood_it()
    {
        var link = GoReceiverPath(seed: 13);
        link.RunFor(3_000);
        link.ReceiversRead = false;
        link.RunFor(3_000);

        // The receiver's queue filled its window: it advertises 0, so nothing goes past it however far the reach grew.
        var sender = link.Sender(0);
        Assert.Equal(0, sender.RemoteWindow);
        Assert.Equal(0, sender.WindowReach);
        var sent = link.Forwarded;
        link.RunFor(2_000);
        Assert.True(link.Forwarded - sent < 20, $"{link.Forwarded - sent} datagrams into a closed window (probes only)");

        // Reading again, the transfer goes on, every byte in order.
        var before = link.Delivered[0];
        link.ReceiversRead = true;
        link.RunFor(3_000);
        Assert.True(link.Delivered[0] - before > 10 * WindowBound(link) * 100);
    }

    [Fact]
    public void Loss_the_receiver_cannot_repair_shrinks_the_reach_rather_than_feeding_drops()
    {
        // 1% loss each way and no FEC: holes at snd_una every few round trips. Segments past hole + rcv_wnd are
        // dropped and time out; each such timeout halves the reach, so the drops stay a small share of the sends
        // (1.1% arrived past the window or twice here, 0.3% with no reach) and the holes, not the reach, set the
        // rate (0.58 of the window bound with the reach or without).
        var link = GoReceiverPath(seed: 14, loss: 0.01);
        link.RunFor(3_000);
        var sent = link.Counters[0].OutSegs;
        var dropped = link.Counters[1].RepeatSegs;
        var rate = link.Measure(10_000)[0];
        var dropShare = (link.Counters[1].RepeatSegs - dropped) / (double)(link.Counters[0].OutSegs - sent);

        Assert.True(dropShare < 0.03, $"{dropShare:P1} of the segments sent arrived past the window or twice");
        Assert.True(rate > 0.5 * WindowBound(link), $"{rate:F0} B/ms against a window bound of {WindowBound(link):F0}");
    }
}
