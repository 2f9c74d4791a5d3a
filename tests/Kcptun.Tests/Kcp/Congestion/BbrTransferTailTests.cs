using Kcptun.Kcp;
using Kcptun.Kcp.Congestion;
using Xunit.Abstractions;

namespace Kcptun.Tests.Kcp.Congestion;

/// <summary>
/// A short transfer, a pause, then a long one over the same session (a page, then a download; tunbench's 2 MiB
/// warm-up, then its bulk stream), on the fake clock: 200 ms minimum RTT, 50 Mbit/s (6,250 KCP bytes per ms), a
/// 2-BDP queue, random loss each way.
/// </summary>
public class BbrTransferTailTests(ITestOutputHelper output)
{
    private const double Link = 6250;

    [Theory]
    [InlineData(0.01)]
    [InlineData(0.10)]
    public void The_tail_of_a_short_transfer_is_no_loss_burst(double loss)
    {
        var transfers = new ShortThenBulk(2 << 20);
        var link = transfers.Link(seed: 11, loss, queueMilliseconds: 400);

        // The short transfer ends inside startup: 2 MiB is about 7 round trips from 10 segments. Its last round trips
        // send little but the resends of its last holes, so by share of transmissions they look like a loss burst.
        link.RunFor(4000);
        var controller = link.Controller(0);
        output.WriteLine($"after the short transfer: phase {controller.Phase} filled {controller.FilledPipe} bw {controller.BottleneckBandwidth:F0} inflight_hi {controller.InflightHigh} loss {controller.LossRate:F3}");
        Assert.Equal(0, transfers.FirstLeft);
        Assert.Equal(long.MaxValue, controller.InflightHigh);
        Assert.True(controller.LossRate < 2 * loss, $"loss rate {controller.LossRate:F3} at {loss:P0} random loss");

        transfers.Bulk = true;
        var seconds = new List<double>();
        for (var second = 0; second < 4; second++)
        {
            var goodput = link.Measure(1000)[0];
            seconds.Add(goodput);
            output.WriteLine($"t={link.Now} goodput {goodput * 8 / 1000:F1} Mbit/s phase {controller.Phase} bw {controller.BottleneckBandwidth:F0} inflight_hi {controller.InflightHigh} loss {controller.LossRate:F3} cwnd {controller.CongestionWindow} infl {link.Sender(0).BytesInFlight} wait {link.Sender(0).WaitingToSend} rmt {link.Sender(0).RemoteWindow} qd {link.QueueDrops} rd {link.RandomDrops} fwd {link.Forwarded}");
        }

        // The long transfer picks up where startup left off (before: ProbeBandwidth from the short transfer's rate, an
        // in-flight bound of 0.7 x its window and a 23% loss compensation at 10% loss; 14% at 1%).
        var settled = (seconds[1] + seconds[2] + seconds[3]) / 3;
        Assert.True(settled > 0.6 * (1 - loss) * Link, $"seconds 2-4: {settled * 8 / 1000:F1} Mbit/s");
    }
    [Theory]
    [InlineData(3)]
    [InlineData(10)]
    [InlineData(13)]
    [InlineData(21)]
    public void Random_loss_in_a_short_transfer_does_not_end_startup_far_below_the_link(int seed)
    {
        // pathbench's warm-up (0.5 MiB), then its bulk stream, at 10% loss each way with a 1-BDP queue.
        var transfers = new ShortThenBulk(512 * 1024);
        var link = transfers.Link(seed, 0.1, queueMilliseconds: 100);

        link.RunFor(4000);
        var controller = link.Controller(0);
        output.WriteLine($"after the short transfer: phase {controller.Phase}, startup exit {controller.StartupExit}, bw {controller.BottleneckBandwidth * 8 / 1000:F1} Mbit/s");
        transfers.Bulk = true;
        var goodput = link.Measure(7000)[0] * 8 / 1000;
        output.WriteLine($"bulk, 7 s: {goodput:F1} Mbit/s, startup restarts {controller.StartupRestarts}");

        // These seeds read five resends in a round of about ten segments as a loss burst (or ended on a plateau right
        // after), left startup at 2-7 Mbit/s, and the bulk transfer ran at 19.4-27.0 Mbit/s while the other seeds of
        // 1-24 ran at 30.6-35.6.
        Assert.True(goodput > 29, $"{goodput:F1} Mbit/s");
    }

    /// <summary>A sender that writes <c>first</c> bytes, then nothing until <see cref="Bulk"/>, then without end.</summary>
    private sealed class ShortThenBulk(long first)
    {
        private readonly byte[] _chunk = new byte[16 * 1024];

        public long FirstLeft { get; private set; } = first;

        public bool Bulk { get; set; }

        public BottleneckLink Link(int seed, double loss, int queueMilliseconds) =>
            new(1, seed, CongestionControl.Bbr, sendWindow: 32768, receiveWindow: 32768)
            {
                Loss = loss,
                ReverseLoss = loss,
                Rate = BbrTransferTailTests.Link,
                Delay = 100,
                QueueLimit = (int)(BbrTransferTailTests.Link * queueMilliseconds),
                Writer = Write,
            };

        private bool Write(KcpControlBlock kcp)
        {
            var wrote = false;
            while ((Bulk || FirstLeft > 0) && kcp.WaitingToSend < Math.Min(kcp.SendWindow, kcp.RemoteWindow) && kcp.CanQueueMore)
            {
                var n = Bulk ? _chunk.Length : (int)Math.Min(_chunk.Length, FirstLeft);
                Assert.Equal(n, kcp.Send(_chunk.AsSpan(0, n)));
                FirstLeft -= n;
                wrote = true;
            }

            return wrote;
        }
    }
}
