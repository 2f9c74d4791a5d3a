using Kcptun.Kcp;
using Kcptun.Kcp.Congestion;
using Xunit.Abstractions;

namespace Kcptun.Tests.Kcp.Congestion;

/// <summary>
/// The start-up stall first seen over <c>--tcp</c> (issue 14): a session's first datagrams (the smux SYN, 8 bytes)
/// are lost while the peer is not ready yet (the fake-TCP accept; a cold peer), KCP's RTO resends them and they are
/// acknowledged hundreds of ms later. That first, app-limited sample (a few bytes over the whole wait) made the
/// bandwidth estimate ~0.04 bytes/ms and the pacing rate one segment per several seconds, and each one-segment round
/// whose RTT set a new minimum was discarded as shorter than the (older) minimum RTT: the session stalled for seconds
/// to tens of seconds. Over UDP the same happens whenever the first flight is lost.
/// </summary>
public class BbrStartupStallTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(0u, false)]
    [InlineData(600u, false)]   // whole first flight lost for 600 ms, constant RTT
    [InlineData(600u, true)]    // and the RTT falls from 60 to 4 ms meanwhile (a peer warming up)
    [InlineData(2500u, true)]
    public void A_session_whose_first_flight_was_lost_fills_the_path_at_once(uint blackout, bool fallingRtt)
    {
        var link = new SimulatedLink(7) { Delay = 30 };
        link.Configure("fast2", 32768, 32768);
        foreach (var block in link.Blocks)
        {
            block.CongestionControl = CongestionControl.Bbr;
            block.AdaptiveReceiveWindow = true;
        }

        link.Script = d => d.SentAt < blackout ? LinkVerdict.Drop : LinkVerdict.Deliver;

        // The smux SYN alone, acknowledged once the blackout is over.
        link.Write(0, new byte[8]);
        Assert.True(link.RunUntil(() => link.Blocks[0].SendUnacknowledged == 1, blackout + 5000));
        Assert.Equal(8, link.Blocks[1].Receive(new byte[64]));

        // Then a bulk transfer: 2 MB over a path that carries it in well under a second once the rate is found.
        var transfer = new StreamTransfer(link, 2_000_000, 1);
        var pump = link.Application!;
        if (fallingRtt)
        {
            link.Application = l =>
            {
                l.Delay = (uint)Math.Max(2, 30 - ((int)l.Now / 100));
                pump(l);
            };
        }

        var start = link.Now;
        var done = transfer.Run(start + 2000);
        var bbr = link.Blocks[0].RateController!;
        output.WriteLine($"blackout {blackout} ms: read {transfer.Read} by t={link.Now} (started {start}), phase {bbr.Phase}, bw {bbr.BottleneckBandwidth:F1} B/ms, rate {bbr.PacingRate:F1} B/ms, min RTT {bbr.MinRtt}");
        Assert.True(done, $"only {transfer.Read} of 2000000 bytes within 2 s after a {blackout} ms blackout (pacing rate {bbr.PacingRate:F2} B/ms)");
    }
}
