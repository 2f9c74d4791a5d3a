using Kcptun.EndToEnd.Emulation;

namespace Kcptun.Tests.Bench;

public class LinkShaperTests
{
    private const long Ms = 1_000_000;

    [Fact]
    public void Rate_cap_spaces_packets_by_their_serialization_time()
    {
        // 100 Mbit/s: 1250 bytes = 10,000 bits = 100 microseconds on the wire.
        var shaper = new LinkShaper(new LinkProfile { RateMbps = 100, QueueBytes = 1 << 20, DelayMs = 10 }, 1);
        Assert.Equal(100_000, shaper.SerializationNs(1250));
        Span<long> due = stackalloc long[2];
        for (var i = 1; i <= 10; i++)
        {
            Assert.Equal(1, shaper.Admit(1250, 0, due));
            Assert.Equal((i * 100_000) + (10 * Ms), due[0]);
        }

        Assert.Equal(10 * 1250, shaper.BacklogBytes(0));
        Assert.Equal(5 * 1250, shaper.BacklogBytes(500_000));
        Assert.Equal(0, shaper.BacklogBytes(2 * Ms));
    }

    [Fact]
    public void Full_queue_tail_drops_and_drains_at_the_cap()
    {
        var shaper = new LinkShaper(new LinkProfile { RateMbps = 100, QueueBytes = 3000 }, 1);
        Span<long> due = stackalloc long[2];
        Assert.Equal(1, shaper.Admit(1250, 0, due)); // backlog 1250
        Assert.Equal(1, shaper.Admit(1250, 0, due)); // backlog 2500
        Assert.Equal(0, shaper.Admit(1250, 0, due)); // 3750 > 3000: dropped
        Assert.Equal(1, shaper.Statistics.QueueDrops);
        Assert.Equal(1, shaper.Admit(1250, 100_000, due)); // one packet has left the queue
        Assert.Equal(300_000, due[0]);
    }

    [Fact]
    public void Sustained_overload_delivers_exactly_the_capped_rate()
    {
        var shaper = new LinkShaper(new LinkProfile { RateMbps = 10, QueueBytes = 64 * 1024 }, 3);
        Span<long> due = stackalloc long[2];
        long delivered = 0, last = 0;
        for (long t = 0; t < 1000 * Ms; t += 100_000) // 1350 bytes every 100 us = 108 Mbit/s offered for 1 s
        {
            if (shaper.Admit(1350, t, due) == 1)
            {
                delivered += 1350;
                last = due[0];
            }
        }

        var mbps = delivered * 8 / (last / 1e9) / 1e6;
        Assert.InRange(mbps, 9.9, 10.1);
        Assert.True(shaper.Statistics.QueueDrops > 0);
    }

    [Fact]
    public void Jitter_stays_within_bounds_and_keeps_the_link_fifo()
    {
        var shaper = new LinkShaper(new LinkProfile { DelayMs = 20, JitterMs = 5 }, 42);
        Span<long> due = stackalloc long[2];
        long previous = long.MinValue;
        var spread = new HashSet<long>();
        for (var i = 0; i < 5000; i++)
        {
            var now = i * 100_000L;
            Assert.Equal(1, shaper.Admit(100, now, due));
            Assert.True(due[0] >= previous, "jitter alone must not reorder");
            Assert.InRange(due[0], now + (15 * Ms), now + (25 * Ms));
            spread.Add((due[0] - now) / Ms);
            previous = due[0];
        }

        // Dense traffic ratchets up to the latest due time (FIFO); sparse traffic shows the whole spread.
        var sparse = new LinkShaper(new LinkProfile { DelayMs = 20, JitterMs = 5 }, 42);
        for (var i = 0; i < 200; i++)
        {
            var now = i * 20 * Ms;
            Assert.Equal(1, sparse.Admit(100, now, due));
            Assert.InRange(due[0], now + (15 * Ms), now + (25 * Ms));
            spread.Add((due[0] - now) / Ms);
        }

        Assert.True(spread.Count >= 9, "jitter should vary the delay");
    }

    [Fact]
    public void Random_loss_duplication_and_reordering_happen_at_their_rates()
    {
        var profile = new LinkProfile { LossPercent = 5, DuplicatePercent = 2, ReorderPercent = 3, ReorderGapMs = 10, DelayMs = 1 };
        var shaper = new LinkShaper(profile, 2024);
        Span<long> due = stackalloc long[2];
        const int packets = 200_000;
        var overtaken = 0;
        long maxDue = 0;
        for (var i = 0; i < packets; i++)
        {
            var copies = shaper.Admit(500, i * 10_000L, due);
            if (copies > 0)
            {
                if (due[0] < maxDue)
                {
                    overtaken++;
                }

                maxDue = Math.Max(maxDue, due[0]);
            }
        }

        var s = shaper.Statistics;
        Assert.InRange(s.RandomLoss / (double)packets, 0.045, 0.055);
        var survivors = packets - s.RandomLoss;
        Assert.InRange(s.Duplicated / (double)survivors, 0.017, 0.023);
        Assert.InRange(s.Reordered / (double)survivors, 0.026, 0.034);
        Assert.Equal(survivors + s.Duplicated, s.Delivered);
        Assert.True(overtaken > 0, "later packets should overtake held-back ones");
    }

    [Fact]
    public void Same_seed_reproduces_every_decision()
    {
        var profile = LinkProfile.Parse("delay=25,jitter=3,loss=2,ge=0.01:0.3:0:0.7,reorder=1,dup=1,rate=100");
        static List<long> Trace(LinkProfile p, int seed)
        {
            var shaper = new LinkShaper(p, seed);
            Span<long> due = stackalloc long[2];
            var trace = new List<long>();
            for (var i = 0; i < 3000; i++)
            {
                var copies = shaper.Admit(1200, i * 50_000L, due);
                trace.Add(copies == 0 ? -1 : due[0]);
            }

            return trace;
        }

        Assert.Equal(Trace(profile, 5), Trace(profile, 5));
        Assert.NotEqual(Trace(profile, 5), Trace(profile, 6));
    }

    [Fact]
    public void Profile_text_round_trips_and_rejects_nonsense()
    {
        var profile = LinkProfile.Parse("delay=25,jitter=1.5,loss=1,ge=0.01:0.25:0:1,reorder=2,gap=8,dup=0.5,rate=100,queue=65536");
        Assert.Equal(25, profile.DelayMs);
        Assert.Equal(1.5, profile.JitterMs);
        Assert.Equal(new GilbertElliottParameters(0.01, 0.25, 0, 1), profile.BurstLoss);
        Assert.Equal(65536, profile.QueueBytes);
        Assert.Equal(profile, LinkProfile.Parse(profile.ToString()));
        Assert.True(LinkProfile.Parse("").IsPerfect);
        Assert.Throws<FormatException>(() => LinkProfile.Parse("loss=101"));
        Assert.Throws<FormatException>(() => LinkProfile.Parse("delay=-1"));
        Assert.Throws<FormatException>(() => LinkProfile.Parse("speed=3"));
        Assert.Throws<FormatException>(() => LinkProfile.Parse("ge=0.1:0.2"));
    }
}
