using Kcptun.Kcp;
using static Kcptun.Tests.Kcp.KcpHarness;

namespace Kcptun.Tests.Kcp;

/// <summary>Fast retransmit, early retransmit, the fast-ack counting rule and the dead-link flag (docs/protocol/kcp.md §6.5, 6.6).</summary>
public class KcpRetransmitTests
{
    private static KcpHarness InFlight(int segments, int resend)
    {
        var h = new KcpHarness();
        h.Block.FlushOptions = new KcpFlushOptions { NoDelay = false, Interval = 10, FastResend = resend, UseCongestionWindow = false };
        h.Block.Send(new byte[h.Block.Mss * segments]);
        h.Block.Flush(0);
        Assert.Equal(segments, h.Pushes.Count());
        h.Clear();
        return h;
    }

    [Fact]
    public void Fast_retransmit_after_resend_duplicate_acks_not_before()
    {
        var h = InFlight(4, resend: 2);
        Assert.Equal(KcpInputResult.Accepted, h.Input(10, Segment(KcpCommand.Ack, sn: 1, ts: 0)));

        // New data is admitted in this flush, so no early retransmit; fastack 1 < 2.
        h.Block.Send(new byte[5]);
        h.Block.Flush(11);
        Assert.Equal([4u], h.Pushes.Select(s => s.Sn));
        h.Clear();

        Assert.Equal(KcpInputResult.Accepted, h.Input(12, Segment(KcpCommand.Ack, sn: 2, ts: 0)));
        h.Block.Send(new byte[5]);
        h.Block.Flush(13);
        Assert.Equal([0u, 5u], h.Pushes.Select(s => s.Sn));
        Assert.Equal(1, h.Counters.FastRetransSegs);
        Assert.Equal(0, h.Counters.EarlyRetransSegs);
        Assert.Equal(1, h.Counters.RetransSegs);
    }

    [Fact]
    public void Every_ack_counts_for_every_earlier_segment_sent_no_later()
    {
        var h = InFlight(4, resend: 3);
        // One packet with ACKs for 2 and 3: sn 0 gets fastack 2, sn 1 gets 1 from the ACK of 3 and 1 from the ACK of 2.
        Assert.Equal(KcpInputResult.Accepted, h.Input(10, Segment(KcpCommand.Ack, sn: 2, ts: 0), Segment(KcpCommand.Ack, sn: 3, ts: 0)));
        h.Block.Send(new byte[5]);
        h.Block.Flush(11);
        Assert.Equal([4u], h.Pushes.Select(s => s.Sn));
        h.Clear();
        Assert.Equal(KcpInputResult.Accepted, h.Input(12, Segment(KcpCommand.Ack, sn: 4, ts: 11)));
        h.Block.Send(new byte[5]);
        h.Block.Flush(13);
        Assert.Equal([0u, 1u, 5u], h.Pushes.Select(s => s.Sn));
        Assert.Equal(2, h.Counters.FastRetransSegs);
    }

    [Fact]
    public void Acks_older_than_a_retransmission_do_not_count()
    {
        var h = InFlight(2, resend: 1);
        // Time out sn 0 and 1 once: both now carry ts 200.
        h.Block.Flush(200);
        Assert.Equal(2, h.Pushes.Count());
        h.Clear();
        // An ACK of sn 1 echoing its first transmission (ts 0) is older than sn 0's copy (ts 200): no fastack.
        Assert.Equal(KcpInputResult.Accepted, h.Input(210, Segment(KcpCommand.Ack, sn: 1, ts: 0)));
        h.Block.Flush(211);
        Assert.Empty(h.Pushes);
    }

    [Fact]
    public void Early_retransmit_when_a_later_segment_is_acked_and_nothing_new_is_admitted()
    {
        var h = InFlight(3, resend: 0);
        Assert.Equal(KcpInputResult.Accepted, h.Input(10, Segment(KcpCommand.Ack, sn: 2, ts: 0)));
        h.Block.Flush(11);
        Assert.Equal([0u, 1u], h.Pushes.Select(s => s.Sn));
        Assert.All(h.Pushes, s => Assert.Equal(11u, s.Header.Timestamp));
        Assert.Equal(2, h.Counters.EarlyRetransSegs);
        Assert.Equal(0, h.Counters.FastRetransSegs);
        Assert.Equal(2, h.Counters.RetransSegs);

        // Their fastack was reset: the next flush sends nothing until the (reset) RTO.
        h.Clear();
        h.Block.Flush(12);
        Assert.Empty(h.Pushes);
    }

    [Fact]
    public void Acked_segments_are_never_resent_and_leave_when_una_passes()
    {
        var h = InFlight(3, resend: 0);
        Assert.Equal(KcpInputResult.Accepted, h.Input(10, Segment(KcpCommand.Ack, sn: 1, ts: 0, una: 0)));
        Assert.Equal(3, h.Block.WaitingToSend);
        h.Block.Flush(400);
        Assert.Equal([0u, 2u], h.Pushes.Select(s => s.Sn));
        Assert.Equal(KcpInputResult.Accepted, h.Input(410, Segment(KcpCommand.Ack, sn: 0, ts: 400, una: 2)));
        Assert.Equal(1, h.Block.WaitingToSend);
        Assert.Equal(2u, h.Block.SendUnacknowledged);
    }

    [Fact]
    public void Una_advance_flushes_at_once()
    {
        var h = InFlight(2, resend: 0);
        h.Block.Send(new byte[3]);
        Assert.Equal(KcpInputResult.Accepted, h.Input(10, Segment(KcpCommand.Ack, sn: 0, ts: 0, una: 1)));
        Assert.Equal([2u], h.Pushes.Select(s => s.Sn)); // the new segment, sent by Input's own flush
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 2)]
    [InlineData(2, 3)]
    [InlineData(3, 4)]
    [InlineData(5, 5)]
    public void Retransmit_decisions_match_kcp_go_s_unsaturated_fast_ack_counting(int resend, int seed)
    {
        // Reference: kcp-go's rule verbatim (every ACK increments every earlier segment sent no later, no cap),
        // checked against the control block's saturating, prefix-skipping version over random ACK patterns.
        var h = new KcpHarness();
        h.Block.FlushOptions = new KcpFlushOptions { NoDelay = false, Interval = 10, FastResend = resend, UseCongestionWindow = false };
        h.Block.SetWindowSize(256, 256);
        Assert.Equal(KcpInputResult.Accepted, h.Input(0, Segment(KcpCommand.WindowTell, wnd: 256))); // so every Send below is admitted
        var random = new Random(seed);
        var model = new List<(uint Sn, uint Ts, uint FastAck, bool Acked)>();
        var threshold = resend > 0 ? (uint)resend : uint.MaxValue;
        uint now = 0;
        for (var round = 0; round < 150; round++, now++)
        {
            // Input: a packet of a few ACKs echoing the ts of segments in flight (una stays 0: no slide, no flush).
            if (model.Count > 0)
            {
                var acks = new List<WireSegment>();
                for (var k = random.Next(0, 6); k > 0; k--)
                {
                    var target = model[random.Next(model.Count)];
                    acks.Add(Segment(KcpCommand.Ack, sn: target.Sn, ts: random.Next(4) == 0 ? target.Ts - 1 : target.Ts));
                }

                if (acks.Count > 0)
                {
                    // Non-regular (as if FEC-recovered): no RTT sample, so the RTO stays 200 ms and nothing times out.
                    Assert.Equal(KcpInputResult.Accepted, h.Block.InputRecovered(Packet([.. acks]), now));
                    foreach (var ack in acks)
                    {
                        var index = model.FindIndex(m => m.Sn == ack.Sn);
                        model[index] = model[index] with { Acked = true };
                        for (var i = 0; i < index; i++)
                        {
                            if ((int)(model[i].Ts - ack.Header.Timestamp) <= 0)
                            {
                                model[i] = model[i] with { FastAck = model[i].FastAck + 1 };
                            }
                        }
                    }
                }
            }

            // Flush, admitting new data about half the time (which suppresses early retransmit).
            var admitted = random.Next(2) == 0 && model.Count < 200;
            if (admitted)
            {
                h.Block.Send(new byte[h.Block.Mss * random.Next(1, 3)]);
            }

            h.Clear();
            h.Block.Flush(now);
            var expected = new List<uint>();
            for (var i = 0; i < model.Count; i++)
            {
                var m = model[i];
                if (!m.Acked && (m.FastAck >= threshold || (m.FastAck > 0 && !admitted)))
                {
                    expected.Add(m.Sn);
                    model[i] = m with { FastAck = 0, Ts = now };
                }
            }

            var sent = h.Pushes.Select(p => p.Sn).ToList();
            var fresh = sent.Where(sn => sn >= model.Count).ToList();
            Assert.Equal(expected, sent.Except(fresh));
            foreach (var sn in fresh)
            {
                model.Add((sn, now, 0, false));
            }
        }

        Assert.True(h.Counters.FastRetransSegs + h.Counters.EarlyRetransSegs > 10);
        Assert.Equal(0, h.Counters.LostSegs);
    }

    [Fact]
    public void Dead_link_is_flagged_on_the_twentieth_transmission()
    {
        var h = new KcpHarness();
        h.Block.FlushOptions = new KcpFlushOptions { NoDelay = true, Interval = 10, FastResend = 0, UseCongestionWindow = false };
        h.Block.Send(new byte[1]);
        uint now = 0;
        for (var transmissions = 1; transmissions <= 20; transmissions++)
        {
            Assert.False(h.Block.IsDeadLink);
            h.Clear();
            while (!h.Pushes.Any())
            {
                now += h.Block.Flush(now);
            }
        }

        Assert.True(h.Block.IsDeadLink);
        Assert.Equal(19, h.Counters.LostSegs);
    }
}
