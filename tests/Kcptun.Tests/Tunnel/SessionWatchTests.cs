using Kcptun.Transport;
using Kcptun.Tunnel;

namespace Kcptun.Tests.Tunnel;

/// <summary>The dead-peer rules on hand-made snapshots (times in ms on a fake clock).</summary>
public class SessionWatchTests
{
    [Fact]
    public void A_proven_regression_means_the_peer_restarted_at_once()
    {
        var watch = new SessionWatch();
        Assert.Equal(SessionVerdict.PeerRestarted, watch.Check(new KcpLiveness(Now: 10_000, FirstSent: 1_000, LastReceived: 9_990, OutstandingSince: 9_980, RetransmissionTimeout: 30, PeerRegressions: 1)));
    }

    [Fact]
    public void A_session_never_answered_gets_the_hint_once_after_5_s_and_is_kept()
    {
        var watch = new SessionWatch();
        Assert.Equal(SessionVerdict.Healthy, watch.Check(Snapshot(now: 5_999, firstSent: 1_000, lastReceived: -1, outstandingSince: 1_000)));
        Assert.Equal(SessionVerdict.NeverAnswered, watch.Check(Snapshot(now: 6_000, firstSent: 1_000, lastReceived: -1, outstandingSince: 1_000)));
        Assert.Equal(SessionVerdict.Healthy, watch.Check(Snapshot(now: 60_000, firstSent: 1_000, lastReceived: -1, outstandingSince: 1_000)));
    }

    [Fact]
    public void Nothing_sent_nothing_to_say()
    {
        Assert.Equal(SessionVerdict.Healthy, new SessionWatch().Check(Snapshot(now: 600_000, firstSent: -1, lastReceived: -1, outstandingSince: -1)));
    }

    [Theory]
    [InlineData(30, 3_000)]   // loopback: the 3 s floor
    [InlineData(350, 3_500)]  // after a bulk transfer queued on loopback: 10 RTOs
    [InlineData(800, 8_000)]  // a 600 ms path: 10 RTOs
    [InlineData(2_400, 10_000)] // an RTO a slow first sample inflated: the 10 s ceiling
    [InlineData(60_000, 10_000)] // KCP's largest RTO: the ceiling
    public void Silence_with_data_waiting_counts_after_3_s_or_10_rtos_up_to_10_s(int rto, long limit)
    {
        var watch = new SessionWatch();
        Assert.Equal(SessionVerdict.Healthy, watch.Check(Snapshot(now: 100_000 + limit - 1, firstSent: 1, lastReceived: 100_000, outstandingSince: 100_000, rto: rto)));
        Assert.Equal(SessionVerdict.PeerSilent, watch.Check(Snapshot(now: 100_000 + limit, firstSent: 1, lastReceived: 100_000, outstandingSince: 100_000, rto: rto)));
    }

    [Fact]
    public void Silence_without_data_waiting_is_an_idle_session()
    {
        Assert.Equal(SessionVerdict.Healthy, new SessionWatch().Check(Snapshot(now: 500_000, firstSent: 1, lastReceived: 100_000, outstandingSince: -1)));
    }

    [Fact]
    public void Data_waiting_while_the_peer_still_talks_is_a_slow_peer_not_a_dead_one()
    {
        // A receiver that does not read closes its window: our una stalls, but its window probes answers keep coming.
        Assert.Equal(SessionVerdict.Healthy, new SessionWatch().Check(Snapshot(now: 500_000, firstSent: 1, lastReceived: 499_900, outstandingSince: 100_000)));
    }

    private static KcpLiveness Snapshot(long now, long firstSent, long lastReceived, long outstandingSince, int rto = 30) =>
        new(now, firstSent, lastReceived, outstandingSince, rto, 0);
}
