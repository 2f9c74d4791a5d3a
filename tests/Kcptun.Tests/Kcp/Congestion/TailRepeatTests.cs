using Kcptun.Kcp;
using Kcptun.Kcp.Congestion;
using Xunit.Abstractions;

namespace Kcptun.Tests.Kcp.Congestion;

/// <summary>
/// A sparse sender's last datagram of data goes out twice under bbr (<see cref="KcpControlBlock.RepeatTailData"/>).
/// </summary>
public class TailRepeatTests(ITestOutputHelper output)
{
    private static KcpHarness Harness(CongestionControl cc = CongestionControl.Bbr)
    {
        var harness = new KcpHarness();
        var block = harness.Block;
        block.FlushOptions = block.FlushOptions with { NoDelay = true, Interval = 20, FastResend = 2, UseCongestionWindow = false };
        block.CongestionControl = cc;
        block.RepeatTailData = true;
        return harness;
    }

    [Fact]
    public void A_lone_write_goes_out_twice_and_only_its_data_is_repeated()
    {
        var harness = Harness();
        // An ACK waits too: the first datagram carries it and the PUSH, the copy only the PUSH.
        harness.Input(1000, KcpHarness.Segment(KcpCommand.Push, sn: 0, ts: 990, data: new byte[10]));
        harness.Block.Send(new byte[100]);
        harness.Block.Flush(1000);

        Assert.Equal(2, harness.Datagrams.Count);
        var first = KcpHarness.Decode(harness.Datagrams[0]);
        var copy = KcpHarness.Decode(harness.Datagrams[1]);
        Assert.Contains(first, s => s.Command == KcpCommand.Ack);
        var push = Assert.Single(first, s => s.Command == KcpCommand.Push);
        var repeated = Assert.Single(copy);
        Assert.Equal(KcpCommand.Push, repeated.Command);
        Assert.Equal(push.Header, repeated.Header);
        Assert.Equal(push.Data, repeated.Data);
        Assert.Equal(1, harness.Block.TailRepeats);
        Assert.Equal(3, harness.Counters.OutSegs);

        // The copy is no transmission: the ACK of either copy is the segment's one RTT sample, nothing is resent.
        harness.Clear();
        harness.Input(1050, KcpHarness.Segment(KcpCommand.Ack, sn: 0, ts: 1000, una: 1));
        Assert.Equal(0, harness.Block.RateController!.Sent - harness.Block.RateController.Delivered);
        harness.Block.Flush(1060);
        Assert.Empty(harness.Pushes);
    }

    [Fact]
    public void Under_kcp_or_when_off_one_copy_goes_out()
    {
        var kcp = Harness(CongestionControl.Kcp);
        Assert.False(kcp.Block.RepeatTailData); // only under bbr
        kcp.Block.Send(new byte[100]);
        kcp.Block.Flush(1000);
        Assert.Single(kcp.Datagrams);

        var off = Harness();
        off.Block.RepeatTailData = false;
        off.Block.Send(new byte[100]);
        off.Block.Flush(1000);
        Assert.Single(off.Datagrams);
    }

    [Fact]
    public void A_burst_repeats_only_its_last_datagram_and_a_bulk_sender_nothing()
    {
        // Two segments in two datagrams: only the second (the tail) is repeated.
        var burst = Harness();
        burst.Block.Send(new byte[burst.Block.Mss + 100]);
        burst.Block.Flush(1000);
        Assert.Equal(3, burst.Datagrams.Count);
        Assert.Equal(burst.Datagrams[1], burst.Datagrams[2]);
        Assert.Equal(2, burst.Pushes.Select(s => s.Sn).Distinct().Count());

        // Held back by the pacing budget (the first flush may send two segments): not the end of a burst. No copy.
        var held = Harness();
        held.Block.Send(new byte[(held.Block.Mss * 2) + 100]);
        held.Block.Flush(1000);
        Assert.Equal(2, held.Datagrams.Count);
        Assert.Equal(0, held.Block.TailRepeats);

        // More than TailRepeatMaxInFlight segments in flight: a bulk sender whose queue ran dry. No copy.
        var bulk = Harness();
        bulk.Block.Send(new byte[bulk.Block.Mss * (KcpControlBlock.TailRepeatMaxInFlight + 1)]);
        for (uint t = 1000; t < 1100; t += 5)
        {
            bulk.Block.Flush(t);
        }

        Assert.Equal(KcpControlBlock.TailRepeatMaxInFlight + 1, bulk.Pushes.Count());
        Assert.Equal(0, bulk.Block.TailRepeats);
    }

    [Fact]
    public void The_copies_stay_within_their_budget()
    {
        var harness = Harness();
        uint sn = 0;
        void Exchange(uint now)
        {
            harness.Block.Send(new byte[64]);
            harness.Block.Flush(now);
            harness.Input(now, KcpHarness.Segment(KcpCommand.Ack, sn: sn, ts: now, una: sn + 1));
            sn++;
        }

        // Ten requests within one ms: the four saved-up copies, then none.
        for (var i = 0; i < 10; i++)
        {
            Exchange(1000);
        }

        Assert.Equal(4, harness.Block.TailRepeats);

        // One a 20 ms later: one more; a request every 20 ms from then on: every one of them.
        Exchange(1020);
        Assert.Equal(5, harness.Block.TailRepeats);
        Exchange(1021);
        Assert.Equal(5, harness.Block.TailRepeats);
        for (uint t = 1041; t < 1241; t += 20)
        {
            Exchange(t);
        }

        Assert.Equal(15, harness.Block.TailRepeats);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_lost_request_arrives_with_its_copy_instead_of_after_a_timeout(bool repeat)
    {
        var link = new SimulatedLink(3) { Delay = 50 };
        link.Configure("fast2", 1024, 1024);
        foreach (var block in link.Blocks)
        {
            block.CongestionControl = CongestionControl.Bbr;
            block.RepeatTailData = repeat;
        }

        var buffer = new byte[4096];
        uint Request()
        {
            var start = link.Now;
            link.Write(0, new byte[64]);
            Assert.True(link.RunUntil(() => link.Blocks[1].Receive(buffer) > 0, start + 5000));
            return link.Now - start;
        }

        // A few clean exchanges give both sides their RTT.
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(50u, Request());
            link.RunFor(100);
        }

        // The next request's first datagram is lost.
        var dropped = false;
        link.Script = d =>
        {
            if (dropped || d.From != 0 || !KcpHarness.Decode(d.Bytes).Any(s => s.Command == KcpCommand.Push))
            {
                return LinkVerdict.Deliver;
            }

            dropped = true;
            return LinkVerdict.Drop;
        };

        var took = Request();
        output.WriteLine($"repeat {repeat}: the request whose first datagram was lost took {took} ms (one way 50 ms), RTO {link.Blocks[0].RetransmissionTimeout} ms");
        Assert.True(dropped);
        if (repeat)
        {
            Assert.Equal(50u, took);
        }
        else
        {
            Assert.True(took > 100, $"{took} ms");
        }
    }
}
