using Kcptun.Kcp;
using static Kcptun.Tests.Kcp.KcpHarness;

namespace Kcptun.Tests.Kcp;

/// <summary>RTT/RTO per docs/protocol/kcp.md §6.7 and the timeout back-off of 6.5 step 6.</summary>
public class KcpRtoTests
{
    // An ACK whose ts lies rtt ms in the past gives one RTT sample, whether or not its sn is in flight.
    private static void Sample(KcpHarness h, uint now, uint rtt) =>
        Assert.Equal(KcpInputResult.Accepted, h.Input(now, Segment(KcpCommand.Ack, sn: 99, ts: now - rtt)));

    [Fact]
    public void Defaults_are_kcp_go_s()
    {
        var h = new KcpHarness();
        Assert.Equal(200, h.Block.RetransmissionTimeout);
        Assert.Equal(100, h.Block.MinimumRetransmissionTimeout);
        Assert.Equal(100, h.Block.Interval);
        Assert.Equal(0, h.Block.SmoothedRoundTripTime);
        Assert.Equal(32, h.Block.SendWindow);
        Assert.Equal(32, h.Block.ReceiveWindow);
        Assert.Equal(32, h.Block.RemoteWindow);
        Assert.Equal(1400, h.Block.Mtu);
        Assert.Equal(1376, h.Block.Mss);
    }

    [Fact]
    public void First_sample_sets_srtt_and_half_rttvar()
    {
        var h = new KcpHarness();
        h.Block.FlushOptions = new KcpFlushOptions { NoDelay = false, Interval = 10, FastResend = 0, UseCongestionWindow = false };
        Sample(h, 1000, 200);
        Assert.Equal(200, h.Block.SmoothedRoundTripTime);
        Assert.Equal(100, h.Block.RoundTripTimeVariance);
        Assert.Equal(600, h.Block.RetransmissionTimeout); // 200 + max(10, 4*100)
    }

    [Fact]
    public void Later_samples_smooth_with_eighth_and_quarter_gains_and_a_thirty_second_gain_for_low_samples()
    {
        var h = new KcpHarness();
        h.Block.FlushOptions = new KcpFlushOptions { NoDelay = false, Interval = 10, FastResend = 0, UseCongestionWindow = false };
        Sample(h, 1000, 200);

        Sample(h, 2000, 100); // delta -100: srtt 200 + (-100 >> 3 = -13) = 187; rttvar += (100 - 100) >> 2
        Assert.Equal(187, h.Block.SmoothedRoundTripTime);
        Assert.Equal(100, h.Block.RoundTripTimeVariance);
        Assert.Equal(587, h.Block.RetransmissionTimeout);

        Sample(h, 3000, 20); // srtt 187 + (-167 >> 3 = -21) = 166; 20 < 166 - 100, so rttvar += (167 - 100) >> 5 = 2
        Assert.Equal(166, h.Block.SmoothedRoundTripTime);
        Assert.Equal(102, h.Block.RoundTripTimeVariance); // C KCP's >> 2 would give 118
        Assert.Equal(574, h.Block.RetransmissionTimeout);

        Sample(h, 4000, 400); // srtt 166 + (234 >> 3 = 29) = 195; rttvar += (234 - 102) >> 2 = 33
        Assert.Equal(195, h.Block.SmoothedRoundTripTime);
        Assert.Equal(135, h.Block.RoundTripTimeVariance);
        Assert.Equal(735, h.Block.RetransmissionTimeout);
    }

    [Fact]
    public void Interval_is_the_floor_of_the_variance_term()
    {
        var h = new KcpHarness();
        h.Block.FlushOptions = new KcpFlushOptions { NoDelay = false, Interval = 300, FastResend = 0, UseCongestionWindow = false };
        Sample(h, 1000, 40); // 40 + max(300, 80)
        Assert.Equal(340, h.Block.RetransmissionTimeout);
    }

    [Theory]
    [InlineData(0, 100)]
    [InlineData(1, 30)]
    public void Rto_is_clamped_to_the_minimum_of_the_nodelay_setting(int noDelay, int minimum)
    {
        var h = new KcpHarness();
        h.Block.FlushOptions = new KcpFlushOptions { NoDelay = noDelay != 0, Interval = 10, FastResend = 0, UseCongestionWindow = false };
        Assert.Equal(minimum, h.Block.MinimumRetransmissionTimeout);
        Sample(h, 1000, 2); // 2 + max(10, 4) = 12
        Assert.Equal(minimum, h.Block.RetransmissionTimeout);
    }

    [Fact]
    public void Rto_is_clamped_to_sixty_seconds()
    {
        var h = new KcpHarness();
        Sample(h, 100_000, 50_000);
        Assert.Equal(60_000, h.Block.RetransmissionTimeout);
    }

    [Fact]
    public void No_sample_from_fec_recovered_packets_or_from_timestamps_in_the_future()
    {
        var h = new KcpHarness();
        Assert.Equal(KcpInputResult.Accepted, h.Block.InputRecovered(Packet(Segment(KcpCommand.Ack, sn: 1, ts: 500)), 1000));
        Assert.Equal(0, h.Block.SmoothedRoundTripTime);
        Assert.Equal(KcpInputResult.Accepted, h.Input(1000, Segment(KcpCommand.Ack, sn: 1, ts: 1001)));
        Assert.Equal(0, h.Block.SmoothedRoundTripTime);
        Assert.Equal(200, h.Block.RetransmissionTimeout);
    }

    [Fact]
    public void An_ack_echoing_a_timestamp_older_than_the_last_sample_is_no_sample()
    {
        var h = new KcpHarness();
        h.Block.FlushOptions = new KcpFlushOptions { NoDelay = true, Interval = 10, FastResend = 0, UseCongestionWindow = false };
        Sample(h, 1000, 50); // ts 950
        Assert.Equal(50, h.Block.SmoothedRoundTripTime);
        var rto = h.Block.RetransmissionTimeout;

        // The peer FEC-recovered a transmission from ts 700 and ACKs it now: 300 ms is no path RTT.
        Assert.Equal(KcpInputResult.Accepted, h.Input(1000, Segment(KcpCommand.Ack, sn: 7, ts: 700)));
        Assert.Equal(50, h.Block.SmoothedRoundTripTime);
        Assert.Equal(rto, h.Block.RetransmissionTimeout);

        // Same ts again is still a sample (two ACKs of one flush's segments), newer ones too.
        Sample(h, 1010, 60); // ts 950
        Assert.Equal(51, h.Block.SmoothedRoundTripTime); // 50 + (10 >> 3)
    }

    [Fact]
    public void The_timestamp_order_survives_the_clock_wrapping()
    {
        var h = new KcpHarness();
        h.Block.FlushOptions = new KcpFlushOptions { NoDelay = true, Interval = 10, FastResend = 0, UseCongestionWindow = false };
        Sample(h, uint.MaxValue - 10, 40); // ts 2^32 - 51
        Sample(h, 30, 40); // ts 2^32 - 10: newer than 2^32 - 51 across the wrap
        Assert.Equal(40, h.Block.SmoothedRoundTripTime);
        Assert.Equal(KcpInputResult.Accepted, h.Input(40, Segment(KcpCommand.Ack, sn: 7, ts: uint.MaxValue - 100))); // older: no sample
        Assert.Equal(40, h.Block.SmoothedRoundTripTime);
        Sample(h, 60, 20); // ts 40: newer
        Assert.Equal(37, h.Block.SmoothedRoundTripTime); // 40 + (-20 >> 3 = -3)
    }

    [Fact]
    public void One_sample_per_packet_from_its_last_ack()
    {
        var h = new KcpHarness();
        h.Block.FlushOptions = new KcpFlushOptions { NoDelay = false, Interval = 10, FastResend = 0, UseCongestionWindow = false };
        Assert.Equal(KcpInputResult.Accepted, h.Input(1000, Segment(KcpCommand.Ack, sn: 1, ts: 600), Segment(KcpCommand.Ack, sn: 2, ts: 800)));
        Assert.Equal(200, h.Block.SmoothedRoundTripTime);
        Assert.Equal(100, h.Block.RoundTripTimeVariance);
    }

    [Theory]
    [InlineData(0, new uint[] { 0, 200, 600, 1200, 2000, 3000 })] // rto grows by rx_rto (200) per timeout
    [InlineData(1, new uint[] { 0, 200, 500, 900, 1400, 2000 })] // rto grows by rx_rto / 2
    public void Timeout_back_off_is_additive(int noDelay, uint[] expectedTimes)
    {
        var h = new KcpHarness();
        h.Block.FlushOptions = new KcpFlushOptions { NoDelay = noDelay != 0, Interval = 10, FastResend = 0, UseCongestionWindow = false };
        h.Block.Send(new byte[10]);
        var times = new List<uint>();
        for (uint now = 0; now <= expectedTimes[^1]; now++)
        {
            h.Clear();
            h.Block.Flush(now);
            if (h.Pushes.Any())
            {
                times.Add(now);
                Assert.Equal(now, h.Pushes.Single().Header.Timestamp);
            }
        }

        Assert.Equal(expectedTimes, times);
        Assert.Equal(expectedTimes.Length - 1, h.Counters.LostSegs);
        Assert.Equal(expectedTimes.Length - 1, h.Counters.RetransSegs);
        Assert.Equal(0, h.Counters.FastRetransSegs);
    }

    [Fact]
    public void Flush_returns_the_time_to_the_nearest_retransmission_capped_by_the_interval()
    {
        var h = new KcpHarness();
        h.Block.FlushOptions = new KcpFlushOptions { NoDelay = false, Interval = 500, FastResend = 0, UseCongestionWindow = false };
        Assert.Equal(500u, h.Block.Flush(0)); // nothing in flight
        h.Block.Send(new byte[10]);
        Assert.Equal(200u, h.Block.Flush(1000)); // rto 200 < interval 500
        Assert.Equal(150u, h.Block.Flush(1050));
    }
}
