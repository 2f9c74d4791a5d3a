using Kcptun.Kcp.Congestion;
using Xunit.Abstractions;

namespace Kcptun.Tests.Kcp.Congestion;

/// <summary>
/// The rate controller on issue 11's benchmark path, on the fake clock: 100 Mbit/s (12,500 KCP bytes per ms), 100 ms
/// minimum RTT, a 100 ms queue, fast2, windows 4096, random loss the same each way.
/// </summary>
public class BbrLongFatPathTests(ITestOutputHelper output)
{
    private const double Link = 12_500;

    private static BottleneckLink Path(double loss) =>
        new(1, seed: 2, CongestionControl.Bbr) { Loss = loss, ReverseLoss = loss, Rate = Link, Delay = 50, QueueLimit = 1_250_000 };

    [Fact]
    public void A_clean_path_is_filled_without_needless_timeout_resends()
    {
        var link = Path(0);
        link.RunFor(5000);
        var sender = link.Counters[0];
        long timeouts = sender.LostSegs, fast = sender.FastRetransSegs, forwarded = link.ForwardedBytes;
        var goodput = link.Measure(15_000)[0];
        var ratio = (link.ForwardedBytes - forwarded) / (goodput * 15_000);
        output.WriteLine($"goodput {goodput:F0} B/ms, link bytes per goodput byte {ratio:F3}, timeout resends {sender.LostSegs - timeouts}, fast {sender.FastRetransSegs - fast}, queue avg {link.AverageQueueDelay:F1} ms");

        // Before: the gain-1.25 probe's queue plus the peer's 20 ms ACK hold passed KCP's RTO (srtt + 20 ms) and
        // ~1.2% of all segments went twice (a wire ratio of 1.03-1.04 on a lossless path).
        Assert.Equal(0, sender.LostSegs - timeouts);
        Assert.Equal(0, sender.FastRetransSegs - fast);
        Assert.InRange(ratio, 1.0, 1.025); // the 24-byte KCP header in 1350 bytes is 1.018
        Assert.True(goodput > 0.9 * Link, $"goodput {goodput:F0}");
    }

    [Fact]
    public void One_percent_loss_each_way_never_stalls_the_rate_and_resends_little()
    {
        var link = Path(0.01);
        link.RunFor(3000);
        var sender = link.Counters[0];
        long timeouts = sender.LostSegs, segments = sender.OutSegs, retransmissions = sender.RetransSegs;
        var slowest = double.MaxValue;
        var total = 0.0;
        for (var second = 0; second < 22; second++)
        {
            // 22 s take in two ProbeRtt phases (every 10 s).
            var goodput = link.Measure(1000)[0];
            total += goodput;
            slowest = Math.Min(slowest, goodput);
            output.WriteLine($"t={link.Now} goodput {goodput * 8 / 1000:F1} Mbit/s phase {link.Controller(0).Phase} bw {link.Controller(0).BottleneckBandwidth:F0} inflight_hi {link.Controller(0).InflightHigh}");
        }

        var resent = (double)(sender.RetransSegs - retransmissions) / (sender.OutSegs - segments);
        output.WriteLine($"mean {total / 22 * 8 / 1000:F1} Mbit/s, slowest second {slowest * 8 / 1000:F1}, resent {resent:P2}, timeout resends {sender.LostSegs - timeouts}");

        // Before: every ProbeRtt (4 segments in flight) read the resends of the holes open when it began as a loss
        // burst, inflight_hi cut the window to 4 segments and the rate took 5-10 s to climb back (0.8 Mbit/s).
        Assert.True(slowest > 0.25 * Link, $"slowest second {slowest * 8 / 1000:F1} Mbit/s");
        Assert.True(total / 22 > 0.75 * Link, $"mean {total / 22 * 8 / 1000:F1} Mbit/s");

        // 1% of data and 1% of ACK datagrams (up to 56 ACKs each) lost: resends stay near that, not the 11% of
        // timeout resends seen before.
        Assert.True(resent < 0.05, $"resent {resent:P2}");
        Assert.True(sender.LostSegs - timeouts < 0.002 * (sender.OutSegs - segments), $"timeout resends {sender.LostSegs - timeouts}");
    }
}
