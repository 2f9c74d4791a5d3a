using Kcptun.Kcp.Congestion;
using Xunit.Abstractions;

namespace Kcptun.Tests.Kcp.Congestion;

/// <summary>
/// The rate controller when the bytes FEC adds per KCP byte change under a running flow
/// (<see cref="BbrController.SetWireFactor"/>): the adaptive FEC going from no parity to 3 of 10, as it does when a
/// second stream starts beside a download. Fake clock, 100 ms RTT, 1-BDP bottleneck buffer, 1% loss.
/// </summary>
public class BbrWireFactorTests(ITestOutputHelper output)
{
    private const double Rate = 12_500; // 100 Mbit/s in bytes per ms

    // 100 ms RTT, 1% loss each way, a bottleneck buffer of one BDP, windows that never bind.
    private static BottleneckLink Link(int seed) => new(1, seed, CongestionControl.Bbr, sendWindow: 32768, receiveWindow: 32768)
    {
        Rate = Rate,
        Delay = 50,
        QueueLimit = 1_250_000,
        Loss = 0.01,
        ReverseLoss = 0.01,
    };

    private (long Drops, double Goodput) RunThroughParityChange(bool tell, int seed)
    {
        var link = Link(seed);
        link.RunFor(10_000);
        Assert.Equal(BbrPhase.ProbeBandwidth, link.Controller(0).Phase);
        var before = link.QueueDrops;
        link.WireOverhead = 1.3;
        if (tell)
        {
            link.Controller(0).SetWireFactor(1.3);
        }

        var goodput = link.Measure(3_000)[0];
        var drops = link.QueueDrops - before;
        output.WriteLine($"told {tell}, seed {seed}: {drops} queue drops in 3 s after the change, goodput {goodput * 1.3 / Rate:P0} of the link with the overhead, bw {link.Controller(0).BottleneckBandwidth:F0}");
        return (drops, goodput);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void More_parity_lowers_the_rate_at_once_instead_of_overflowing_the_queue(int seed)
    {
        var untold = RunThroughParityChange(tell: false, seed);
        var told = RunThroughParityChange(tell: true, seed);

        // Untold, the controller keeps pacing KCP bytes at the old rate for up to 10 round trips: 30% above the link.
        Assert.True(untold.Drops > 100, $"the scenario should overflow the queue when the controller is not told ({untold.Drops})");
        Assert.True(told.Drops < untold.Drops / 10, $"{told.Drops} queue drops against {untold.Drops}");
        // And it still fills the link: KCP bytes at about 1/1.3 of it.
        Assert.InRange(told.Goodput * 1.3 / Rate, 0.8, 1.0);
    }

    [Fact]
    public void Less_parity_raises_the_rate_at_once()
    {
        var link = Link(seed: 3);
        link.WireOverhead = 1.3;
        link.Controller(0).SetWireFactor(1.3);
        link.RunFor(10_000);
        var bandwidth = link.Controller(0).BottleneckBandwidth;
        Assert.InRange(bandwidth * 1.3 / Rate, 0.85, 1.15);

        link.WireOverhead = 1;
        link.Controller(0).SetWireFactor(1);
        Assert.Equal(bandwidth * 1.3, link.Controller(0).BottleneckBandwidth, 6);
        var goodput = link.Measure(2_000)[0];
        output.WriteLine($"goodput {goodput / Rate:P0} of the link in the 2 s after parity went from 3 to 0");
        Assert.True(goodput > 0.85 * Rate, $"goodput {goodput:F0}");
    }

    [Theory]
    [InlineData(0.99)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_factor_below_one_is_refused(double factor)
    {
        var controller = new BbrController(1400);
        Assert.Throws<ArgumentOutOfRangeException>(() => controller.SetWireFactor(factor));
    }
}
