using Kcptun.Cli.Hosting;
using Kcptun.Diagnostics;
using Kcptun.Tests.Transport.Link;
using Kcptun.Transport;
using static Kcptun.Tests.Transport.TransportTestSupport;

namespace Kcptun.Tests.Diagnostics;

/// <summary>Counters belong to sessions and listeners; the reported totals are their sum (issue 15).</summary>
public sealed class SnmpTotalsTests
{
    private static readonly int s_currEstab = IndexOf("CurrEstab");
    private static readonly int s_maxConn = IndexOf("MaxConn");

    [Fact]
    public void Sum_adds_live_and_detached_counters_and_stays_monotonic()
    {
        var totals = new SnmpTotals();
        var a = new SnmpCounters { BytesSent = 10, InPkts = 3, FecRecovered = 1 };
        var b = new SnmpCounters { BytesSent = 5, InErrs = 2 };
        totals.Attach(a);
        totals.Attach(b);
        Assert.Equal(15, totals.Sum().BytesSent);

        a.BytesSent = 20;
        totals.Detach(a);
        a.BytesSent = 1000; // after detaching, the owner's increments no longer count
        SnmpCounters sum = totals.Sum();
        Assert.Equal(25, sum.BytesSent);
        Assert.Equal(3, sum.InPkts);
        Assert.Equal(2, sum.InErrs);
        Assert.Equal(1, sum.FecRecovered);
        Assert.Equal(1, totals.LiveCount);

        totals.Detach(a); // twice: no double count
        totals.Detach(b);
        Assert.Equal(25, totals.Sum().BytesSent);
        Assert.Equal(0, totals.LiveCount);
    }

    [Fact]
    public void CurrEstab_and_MaxConn_are_the_concurrent_sessions_not_a_sum()
    {
        var totals = new SnmpTotals();
        totals.SessionOpened();
        totals.SessionOpened();
        totals.SessionOpened();
        totals.SessionClosed();
        totals.SessionClosed();
        totals.SessionOpened();
        SnmpCounters sum = totals.Sum();
        Assert.Equal(2, sum.CurrEstab);
        Assert.Equal(3, sum.MaxConn);
    }

    [Fact]
    public async Task Two_sessions_count_apart_and_the_report_prints_their_sum()
    {
        var network = new InMemoryNetwork();
        var totals = new SnmpTotals();
        KcpSessionOptions options = Options() with { Totals = totals };
        await using KcpListener listener = network.Listen(options);
        await using KcpSession first = network.Connect(listener.LocalEndPoint, options);
        await using KcpSession second = network.Connect(listener.LocalEndPoint, options);
        await first.WriteAsync(new byte[1000]);
        await second.WriteAsync(new byte[3000]);
        network.Settle();
        await using KcpSession firstServer = AcceptNow(listener);
        await using KcpSession secondServer = AcceptNow(listener);

        Assert.Equal(1000, first.Counters.BytesSent);
        Assert.Equal(3000, second.Counters.BytesSent);
        Assert.NotEqual(first.Counters.OutPkts, second.Counters.OutPkts);
        Assert.Equal(1, first.Counters.ActiveOpens);
        Assert.Equal(0, first.Counters.PassiveOpens);
        Assert.Equal(1, firstServer.Counters.PassiveOpens);
        Assert.Equal(5, totals.LiveCount); // the listener and four sessions

        SnmpCounters[] owners = [listener.Counters, first.Counters, second.Counters, firstServer.Counters, secondServer.Counters];
        long[] expected = SumOf(owners);
        expected[s_currEstab] = 4;
        expected[s_maxConn] = 4;
        SnmpCounters sum = totals.Sum();
        Assert.Equal(expected, sum.Snapshot());
        Assert.Equal(4000, sum.BytesSent);
        Assert.Equal(SnmpReport.Dump(SnmpCounters.FromSnapshot(expected)), SnmpReport.Dump(sum));
        Assert.Contains(" BytesSent:4000 ", " " + SnmpReport.Dump(sum)[11..], StringComparison.Ordinal);

        // A closed session's counts stay in the totals; only the gauge of open sessions goes down.
        long[] beforeClose = sum.Snapshot();
        await first.DisposeAsync();
        network.Settle();
        long[] after = totals.Sum().Snapshot();
        Assert.Equal(4, totals.LiveCount);
        Assert.Equal(3, after[s_currEstab]);
        Assert.Equal(4, after[s_maxConn]);
        for (int i = 0; i < after.Length; i++)
        {
            if (i != s_currEstab)
            {
                Assert.True(after[i] >= beforeClose[i], SnmpCounters.DebianFieldNames[i]);
            }
        }
    }

    private static long[] SumOf(SnmpCounters[] owners)
    {
        var sum = new long[SnmpCounters.DebianFieldNames.Count];
        foreach (SnmpCounters counters in owners)
        {
            long[] values = counters.Snapshot();
            for (int i = 0; i < sum.Length; i++)
            {
                sum[i] += values[i];
            }
        }

        return sum;
    }

    private static int IndexOf(string name) => SnmpCounters.DebianFieldNames.ToList().IndexOf(name);
}
