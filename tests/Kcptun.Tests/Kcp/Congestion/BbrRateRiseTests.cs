using Kcptun.Kcp.Congestion;
using Xunit.Abstractions;

namespace Kcptun.Tests.Kcp.Congestion;

/// <summary>
/// The rate controller when the path is faster than its model: the bottleneck rate rises tenfold under a running
/// flow (a competing flow left, a link came up to speed; on a busy machine, a startup that ended while the receiver
/// was starved of CPU leaves the same model). Fake clock, fast2, windows 4096.
/// </summary>
public class BbrRateRiseTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.01)]
    [InlineData(0.05)]
    public void A_tenfold_faster_bottleneck_is_found_within_seconds(double loss)
    {
        const double slow = 1_250, fast = 12_500; // 10 and 100 Mbit/s in KCP bytes per ms; 100 ms RTT
        var link = new BottleneckLink(1, seed: 3, CongestionControl.Bbr) { Loss = loss, ReverseLoss = loss, Rate = slow, Delay = 50, QueueLimit = 125_000 };
        link.RunFor(10_000);
        Assert.Equal(BbrPhase.ProbeBandwidth, link.Controller(0).Phase);

        link.Rate = fast;
        link.QueueLimit = 1_250_000;
        var reached = -1;
        for (var step = 1; step <= 30 && reached < 0; step++)
        {
            var goodput = link.Measure(500)[0];
            var bbr = link.Controller(0);
            output.WriteLine($"t={step * 0.5:F1} s goodput {goodput * 8 / 1000:F1} Mbit/s phase {bbr.Phase} loss rate {bbr.LossRate:F3} bw {bbr.BottleneckBandwidth:F0} gain {bbr.PacingGain:F2}");
            if (goodput > 0.8 * fast * (1 - loss))
            {
                reached = step * 500;
            }
        }

        output.WriteLine($"80% of the new rate after {reached} ms, startup restarts {link.Controller(0).StartupRestarts}");
        // Before: the gain-1.25 phase raised the estimate 25% per 8-phase cycle, so 10x took 8.5 s at 1% loss (one
        // min RTT of probing, ended by the first random loss) and 2.5 s only when no loss ended the probe early.
        Assert.InRange(reached, 1, 3_500);
        Assert.True(link.Controller(0).StartupRestarts > 0);
    }

    [Theory]
    [InlineData(12_500, 50u, 0.0)]
    [InlineData(12_500, 50u, 0.01)]
    [InlineData(12_500, 50u, 0.05)]
    [InlineData(625, 25u, 0.02)]   // 5 Mbit/s, 50 ms
    [InlineData(62_500, 10u, 0.0)] // 500 Mbit/s, 20 ms
    public void A_full_pipe_is_not_taken_for_a_faster_one(double rate, uint delay, double loss)
    {
        var link = new BottleneckLink(1, seed: 5, CongestionControl.Bbr) { Loss = loss, ReverseLoss = loss, Rate = rate, Delay = delay, QueueLimit = (int)(rate * 2 * delay) };
        link.RunFor(5_000);
        var before = link.Controller(0).StartupRestarts;
        var goodput = link.Measure(25_000)[0];
        var restarts = link.Controller(0).StartupRestarts - before;
        output.WriteLine($"goodput {goodput / rate:P0} of the link, startup restarts {restarts}, queue avg {link.AverageQueueDelay:F1} ms");

        // At capacity no probe delivers 25% more than the estimate: startup (and its queue) is not entered again.
        Assert.Equal(0, restarts);
        Assert.True(goodput > 0.8 * (1 - loss) * rate, $"goodput {goodput:F0}");
    }
}
