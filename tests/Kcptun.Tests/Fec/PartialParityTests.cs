using Kcptun.Diagnostics;
using Kcptun.Fec;

namespace Kcptun.Tests.Fec;

/// <summary>
/// A sender that emits fewer than P parity datagrams per group (adaptive FEC, docs/fec-adaptive.md): the seqid layout
/// stays D + P per group, the missing parity looks lost to a receiver, and what was emitted still rebuilds.
/// </summary>
public class PartialParityTests
{
    [Fact]
    public void Fewer_parity_keep_the_group_layout_and_zero_parity_skips_the_seqids()
    {
        // Groups 0..3 emit 3, 1, 0, 2 parity datagrams of 10/3.
        int[] parity = [3, 1, 0, 2];
        List<FecTestPacket> stream = FecPacketSource.Create(10, 3, 40, seed: 1, parityOfGroup: g => parity[g]);

        Assert.Equal(40 + 6, stream.Count);
        for (int group = 0; group < 4; group++)
        {
            uint first = (uint)(group * 13);
            uint[] data = [.. stream.Where(p => p.IsData && p.SequenceId >= first && p.SequenceId < first + 13).Select(p => p.SequenceId)];
            uint[] parities = [.. stream.Where(p => !p.IsData && p.SequenceId >= first && p.SequenceId < first + 13).Select(p => p.SequenceId)];
            Assert.Equal(Enumerable.Range((int)first, 10).Select(i => (uint)i), data);
            Assert.Equal(Enumerable.Range((int)first + 10, parity[group]).Select(i => (uint)i), parities);   // the first n parity rows
        }
    }

    [Fact]
    public void Partial_parity_equals_the_first_rows_of_full_parity()
    {
        List<FecTestPacket> full = FecPacketSource.Create(10, 3, 10, seed: 2);
        List<FecTestPacket> partial = FecPacketSource.Create(10, 3, 10, seed: 2, parityOfGroup: _ => 2);

        Assert.Equal(full.Take(12).Select(p => p.Bytes), partial.Select(p => p.Bytes));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 3)]
    public void A_group_with_n_parity_rebuilds_up_to_n_lost_data_packets(int emitted, int losses)
    {
        var counters = new SnmpCounters();
        var decoder = new FecDecoder(10, 3, counters);
        List<FecTestPacket> stream = FecPacketSource.Create(10, 3, 100, seed: 3, parityOfGroup: _ => emitted);

        // In every group the first `losses` data packets are lost.
        (int lost, int recovered) = Feed(decoder, stream, p => p.IsData && p.SequenceId % 13 < losses);

        Assert.Equal(10 * losses, lost);
        Assert.Equal(lost, recovered);
        Assert.Equal(0, counters.FecErrs);
        Assert.Equal(10 * emitted, counters.FecParityShards);
        Assert.Equal((10, 3), (decoder.DataShards, decoder.ParityShards));   // no re-tune from the missing parity
    }

    [Fact]
    public void More_losses_than_emitted_parity_rebuild_nothing_and_no_errors()
    {
        var counters = new SnmpCounters();
        var decoder = new FecDecoder(10, 3, counters);
        List<FecTestPacket> stream = FecPacketSource.Create(10, 3, 100, seed: 4, parityOfGroup: g => g % 2);

        (int lost, int recovered) = Feed(decoder, stream, p => p.IsData && p.SequenceId % 13 < 2);

        Assert.Equal(20, lost);
        Assert.Equal(0, recovered);
        Assert.Equal(0, counters.FecErrs);
        Assert.Equal((10, 3), (decoder.DataShards, decoder.ParityShards));
    }

    [Fact]
    public void A_receiver_configured_differently_tunes_to_the_sender_from_the_full_parity_start()
    {
        // The adaptive sender starts with full parity (as AdaptiveParity does) and goes down to one; the receiver
        // was configured 5/2 and finds 10/3 from the first groups, then rebuilds with the single parity datagram.
        var counters = new SnmpCounters();
        var decoder = new FecDecoder(5, 2, counters);
        List<FecTestPacket> stream = FecPacketSource.Create(10, 3, 400, seed: 5, parityOfGroup: g => g < 24 ? 3 : 1);

        (int lost, int recovered) = Feed(decoder, stream, p => p.IsData && p.SequenceId >= 24 * 13 && p.SequenceId % 13 == 4);

        Assert.Equal((10, 3), (decoder.DataShards, decoder.ParityShards));
        Assert.Equal(16, lost);
        Assert.Equal(lost, recovered);
    }

    private static (int Lost, int Recovered) Feed(FecDecoder decoder, List<FecTestPacket> stream, Func<FecTestPacket, bool> isLost)
    {
        int lost = 0, recovered = 0;
        foreach (FecTestPacket packet in stream)
        {
            if (isLost(packet))
            {
                lost++;
                continue;
            }

            recovered += decoder.Decode(packet.Bytes, 0);
        }

        return (lost, recovered);
    }
}
