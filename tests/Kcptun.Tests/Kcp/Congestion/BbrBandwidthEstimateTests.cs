using Kcptun.Kcp.Congestion;
using Xunit.Abstractions;

namespace Kcptun.Tests.Kcp.Congestion;

/// <summary>
/// The bandwidth estimate under a bulk stream must not run above the bottleneck: a rate sample counts bytes the
/// path delivered over its interval, so at most the link rate (plus sampling noise). The peer acknowledges in
/// batches (one flush every interval, many ACK packets that arrive in the same ms), and the sender transmits between
/// those packets; a segment sent after the first packet of a batch once started its sample at that ms with only part
/// of the batch counted, so the rest of the batch (a whole flush interval of data, which crossed the path before the
/// segment was sent) went into its sample: up to 1.5 x the link over a 40 ms interval. The max filter kept it, the
/// sender paced at it, and a quarter of its segments were dropped at the bottleneck queue for as long as the flow ran
/// (20 ms paths: estimate 1.43 x the link at 500 Mbit/s, 1.41 x at 200, 1.34 x at 100; 20-24% of the segments sent
/// after startup dropped). The bound leaves room for a packet more or less in a sample.
/// </summary>
public class BbrBandwidthEstimateTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(62_500, 10u)]   // 500 Mbit/s, 20 ms
    [InlineData(25_000, 10u)]   // 200 Mbit/s, 20 ms
    [InlineData(62_500, 25u)]   // 500 Mbit/s, 50 ms
    [InlineData(12_500, 10u)]   // 100 Mbit/s, 20 ms
    [InlineData(12_500, 50u)]   // 100 Mbit/s, 100 ms
    [InlineData(2_500, 50u)]    // 20 Mbit/s, 100 ms
    public void A_bulk_stream_through_a_queued_bottleneck_does_not_overestimate_the_link(double rate, uint delay)
    {
        var link = new QueuedWriterLink(CongestionControl.Bbr, rate: rate, delay: delay, queueLimit: (int)(rate * 2 * delay));
        link.RunFor(2000); // startup and drain are over
        var controller = link.Sender.RateController!;
        var dropsAfterStartup = link.QueueDrops;
        var sentAfterStartup = link.Sender.DataSegmentsTransmitted;
        var highest = 0.0;
        for (var i = 0; i < 40; i++)
        {
            link.RunFor(100);
            highest = Math.Max(highest, controller.BottleneckBandwidth);
        }

        var drops = link.QueueDrops - dropsAfterStartup;
        var sent = link.Sender.DataSegmentsTransmitted - sentAfterStartup;
        output.WriteLine($"{rate} B/ms, {2 * delay} ms: bw {controller.BottleneckBandwidth:F0} (highest {highest:F0}), minRtt {controller.MinRtt}, "
            + $"drops {drops} of {sent} segments after startup, goodput {link.Delivered / (double)link.Now:F0} B/ms");

        Assert.True(highest <= 1.15 * rate, $"bandwidth estimate {highest:F0} B/ms on a {rate} B/ms link");
        Assert.True(drops <= sent / 100, $"{drops} of {sent} segments dropped at the bottleneck after startup");
    }
}
