using Kcptun.Kcp;
using static Kcptun.Tests.Kcp.KcpHarness;

namespace Kcptun.Tests.Kcp;

/// <summary>ACK emission (docs/protocol/kcp.md §6.5 step 1, 6.13), reassembly, stream and message mode (6.4, 6.10).</summary>
public class KcpReceiveTests
{
    private static WireSegment Push(uint sn, params byte[] data) => Segment(KcpCommand.Push, sn: sn, ts: 100 + sn, data: data);

    [Fact]
    public void Acks_covered_by_una_are_omitted_except_the_last()
    {
        var h = new KcpHarness();
        Assert.Equal(KcpInputResult.Accepted, h.Input(1, Push(0, 1), Push(1, 2), Push(2, 3)));
        h.Block.Flush(2);
        var ack = Assert.Single(h.Acks);
        Assert.Equal(2u, ack.Sn);
        Assert.Equal(102u, ack.Header.Timestamp);
        Assert.Equal(3u, ack.Header.Unacknowledged);
    }

    [Fact]
    public void Acks_at_or_above_una_are_all_sent_in_arrival_order()
    {
        var h = new KcpHarness();
        Assert.Equal(KcpInputResult.Accepted, h.Input(1, Push(0, 1), Push(5, 6), Push(1, 2), Push(7, 8), Push(3, 4)));
        // acklist 0 5 1 7 3, rcv_nxt 2: 0 and 1 are covered, 3 is last.
        h.Block.Flush(2);
        Assert.Equal([5u, 7u, 3u], h.Acks.Select(a => a.Sn));
        Assert.Equal([105u, 107u, 103u], h.Acks.Select(a => a.Header.Timestamp));
        Assert.Equal(2, h.Block.ReceiveQueueCount);
        Assert.Equal(3, h.Block.ReceiveBufferCount);
    }

    [Fact]
    public void Duplicates_are_acked_again_but_stored_once_and_counted()
    {
        var h = new KcpHarness();
        Assert.Equal(KcpInputResult.Accepted, h.Input(1, Push(2, 9)));
        Assert.Equal(KcpInputResult.Accepted, h.Input(1, Push(2, 9)));
        Assert.Equal(KcpInputResult.Accepted, h.Input(1, Push(0, 7)));
        Assert.Equal(KcpInputResult.Accepted, h.Input(1, Push(0, 7)));
        Assert.Equal(2, h.Counters.RepeatSegs);
        Assert.Equal(4, h.Block.PendingAcks);
        Assert.Equal(1, h.Block.ReceiveBufferCount);
        var buffer = new byte[10];
        Assert.Equal(1, h.Block.Receive(buffer));
        Assert.Equal(7, buffer[0]);
        Assert.Equal(-1, h.Block.Receive(buffer));
    }

    [Fact]
    public void Fec_recovered_duplicates_do_not_count_as_repeats()
    {
        var h = new KcpHarness();
        Assert.Equal(KcpInputResult.Accepted, h.Block.InputRecovered(Packet(Push(0, 7)), 1));
        Assert.Equal(KcpInputResult.Accepted, h.Block.InputRecovered(Packet(Push(0, 7)), 1));
        Assert.Equal(0, h.Counters.RepeatSegs);
    }

    [Fact]
    public void FlushAcks_sends_the_acks_and_nothing_else()
    {
        var h = new KcpHarness();
        h.Block.Send([1, 2, 3]);
        Assert.Equal(KcpInputResult.Accepted, h.Block.Input(Packet(Push(0, 1)), 1));
        Assert.Empty(h.Output);
        h.Block.FlushAcks(2);
        var ack = Assert.Single(h.Output);
        Assert.Equal(KcpCommand.Ack, ack.Command);
        h.Block.Flush(3);
        Assert.Contains(h.Output, s => s.Command == KcpCommand.Push);
    }

    [Fact]
    public void Ack_no_delay_flushes_acks_only_at_once()
    {
        var h = new KcpHarness();
        h.Block.Send([1, 2, 3]);
        h.Block.AckNoDelay = true;
        Assert.Equal(KcpInputResult.Accepted, h.Block.Input(Packet(Push(0, 1)), 1));
        var ack = Assert.Single(h.Output);
        Assert.Equal(KcpCommand.Ack, ack.Command);
    }

    [Fact]
    public void Stream_mode_coalesces_into_the_last_queued_segment()
    {
        var h = new KcpHarness();
        var mss = h.Block.Mss;
        Assert.Equal(10, h.Block.Send(new byte[10]));
        Assert.Equal(10, h.Block.Send(new byte[10]));
        Assert.Equal(1, h.Block.WaitingToSend);
        Assert.Equal(mss, h.Block.Send(new byte[mss]));
        Assert.Equal(2, h.Block.WaitingToSend);
        h.Block.Flush(0);
        Assert.Equal([mss, 20], h.Pushes.Select(s => s.Data.Length));
        Assert.All(h.Pushes, s => Assert.Equal(0, s.Header.Fragment));

        // Segments already sent are not topped up.
        h.Clear();
        h.Block.Send(new byte[5]);
        h.Block.Flush(1);
        Assert.Equal([5], h.Pushes.Select(s => s.Data.Length));
    }

    [Fact]
    public void Stream_receive_fills_the_buffer_across_segments_and_keeps_the_remainder()
    {
        var h = new KcpHarness();
        Assert.Equal(KcpInputResult.Accepted, h.Input(1, Push(0, 1, 2, 3), Push(1, 4, 5), Push(2, 6, 7, 8, 9)));
        Assert.Equal(9, h.Block.PeekSize());
        var buffer = new byte[4];
        Assert.Equal(4, h.Block.Receive(buffer));
        Assert.Equal([1, 2, 3, 4], buffer);
        Assert.Equal(5, h.Block.PeekSize());
        Assert.Equal(4, h.Block.Receive(buffer));
        Assert.Equal([5, 6, 7, 8], buffer);
        Assert.Equal(1, h.Block.Receive(buffer));
        Assert.Equal(9, buffer[0]);
        Assert.Equal(-1, h.Block.Receive(buffer));
        Assert.Equal(-1, h.Block.PeekSize());
    }

    [Fact]
    public void Message_mode_fragments_into_a_countdown_and_reassembles_whole_messages()
    {
        var sender = new KcpHarness(stream: false);
        Assert.True(sender.Block.SetMtu(100 + KcpSegmentHeader.Size));
        var message = Enumerable.Range(0, 250).Select(i => (byte)i).ToArray();
        Assert.Equal(250, sender.Block.Send(message));
        Assert.Equal(3, sender.Block.WaitingToSend);
        sender.Block.Flush(0);
        var pushes = sender.Pushes.ToList();
        Assert.Equal([2, 1, 0], pushes.Select(s => (int)s.Header.Fragment));
        Assert.Equal([100, 100, 50], pushes.Select(s => s.Data.Length));

        var receiver = new KcpHarness(stream: false);
        Assert.Equal(KcpInputResult.Accepted, receiver.Input(1, pushes[2]));
        Assert.Equal(KcpInputResult.Accepted, receiver.Input(1, pushes[0]));
        Assert.Equal(-1, receiver.Block.PeekSize()); // sn 1 missing
        Assert.Equal(-1, receiver.Block.Receive(new byte[300]));
        Assert.Equal(KcpInputResult.Accepted, receiver.Input(1, pushes[1]));
        Assert.Equal(250, receiver.Block.PeekSize());
        Assert.Equal(KcpControlBlock.ErrorBufferTooSmall, receiver.Block.Receive(new byte[249]));
        var buffer = new byte[300];
        Assert.Equal(250, receiver.Block.Receive(buffer));
        Assert.Equal(message, buffer[..250]);
        Assert.Equal(-1, receiver.Block.Receive(buffer));
    }

    [Fact]
    public void Message_mode_rejects_more_than_255_fragments()
    {
        var h = new KcpHarness(stream: false);
        var mss = h.Block.Mss;
        Assert.Equal(KcpControlBlock.ErrorTooManyFragments, h.Block.Send(new byte[(mss * 255) + 1]));
        Assert.Equal(0, h.Block.WaitingToSend);
        Assert.Equal(mss * 255, h.Block.Send(new byte[mss * 255]));
        Assert.Equal(255, h.Block.WaitingToSend);
    }

    [Fact]
    public void Empty_send_queues_nothing()
    {
        var h = new KcpHarness();
        Assert.Equal(0, h.Block.Send([]));
        Assert.Equal(0, h.Block.WaitingToSend);
    }

    [Fact]
    public void Messages_survive_a_lossy_reordering_link()
    {
        var link = new SimulatedLink(seed: 11) { Loss = 0.1, Duplication = 0.05, Jitter = 30 };
        link.Configure("fast2", 128, 128);
        foreach (var b in link.Blocks)
        {
            b.StreamMode = false;
        }

        var random = new Random(12);
        var messages = Enumerable.Range(0, 400).Select(i =>
        {
            var m = new byte[random.Next(1, 6000)];
            random.NextBytes(m);
            return m;
        }).ToList();
        var sent = 0;
        var received = new List<byte[]>();
        var buffer = new byte[8192];
        link.Application = l =>
        {
            var s = l.Blocks[0];
            while (sent < messages.Count && s.WaitingToSend < Math.Min(s.SendWindow, s.RemoteWindow))
            {
                Assert.Equal(messages[sent].Length, l.Write(0, messages[sent]));
                sent++;
            }

            int r;
            while ((r = l.Blocks[1].Receive(buffer)) >= 0)
            {
                received.Add(buffer[..r]);
            }
        };
        Assert.True(link.RunUntil(() => received.Count == messages.Count, 600_000));
        for (var i = 0; i < messages.Count; i++)
        {
            Assert.Equal(messages[i], received[i]);
        }
    }
}
