using Kcptun.Kcp.Congestion;
using Xunit.Abstractions;

namespace Kcptun.Tests.Kcp.Congestion;

/// <summary>
/// Repeated ACKs under bbr (<see cref="Kcptun.Kcp.KcpControlBlock.RepeatingAcks"/>) on the fake-clock bottleneck:
/// 10 Mbit/s, 50 ms minimum RTT, random loss each way.
/// </summary>
public class AckRepeatTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(0.05)]
    [InlineData(0.10)]
    public void A_lost_ack_datagram_does_not_resend_what_arrived(double loss)
    {
        var link = new BottleneckLink(1, seed: 5, CongestionControl.Bbr) { Loss = loss, ReverseLoss = loss };
        link.RunFor(5000);
        var sender = link.Counters[0];
        var receiver = link.Counters[1];
        long arrived = receiver.InSegs, duplicates = receiver.RepeatSegs, sent = sender.OutSegs, resent = sender.RetransSegs;
        var goodput = link.Measure(30_000)[0];
        var duplicateShare = (double)(receiver.RepeatSegs - duplicates) / (receiver.InSegs - arrived);
        var resentShare = (double)(sender.RetransSegs - resent) / (sender.OutSegs - sent);
        output.WriteLine($"loss {loss:P0}: goodput {goodput:F0} B/ms, duplicates {duplicateShare:P2} of arrivals, resent {resentShare:P2}, repeating {link.Blocks[1].RepeatingAcks}");

        // Every ACK of a lost ACK datagram (about 40 at this rate and the receiver's 20 ms flush) used to come back as
        // a fast retransmission of a segment that had arrived: 9.2% of arrivals at 10% loss, 4.0% at 5% (18.5% and
        // 9.1% of what the sender sent were resends; now 11.2% and 6.0%). The next datagram repeats them ahead of its
        // own ACKs now; what is left are the resends both of whose ACKs were lost. Seeds 1-10: duplicates 0.76-1.00% at
        // 5% loss and 0.90-1.36% at 10%; resent 5.6-6.2% and 10.5-11.4%. The bounds sit between those and the old figures.
        Assert.True(link.Blocks[1].RepeatingAcks);
        Assert.True(duplicateShare < loss / 4, $"duplicates {duplicateShare:P2} of arrivals");
        Assert.True(resentShare < 1.45 * loss, $"resent {resentShare:P2}");
    }

    [Fact]
    public void A_clean_path_repeats_nothing()
    {
        var link = new BottleneckLink(1, seed: 6, CongestionControl.Bbr) { Loss = 0.01, ReverseLoss = 0.01 };
        link.RunFor(20_000);
        Assert.False(link.Blocks[1].RepeatingAcks);

        var kcp = new BottleneckLink(1, seed: 6, CongestionControl.Kcp) { Loss = 0.1, ReverseLoss = 0.1 };
        kcp.RunFor(10_000);
        Assert.False(kcp.Blocks[1].RepeatingAcks); // --cc kcp stays kcp-go's ACKs, bit for bit
    }
}
