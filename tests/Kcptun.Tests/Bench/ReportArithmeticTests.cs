using Kcptun.EndToEnd;
using Kcptun.EndToEnd.Report;
using Kcptun.EndToEnd.Runner;
using Kcptun.EndToEnd.Tunnel;

namespace Kcptun.Tests.Bench;

public class ReportArithmeticTests
{
    [Fact]
    public void Percentiles_interpolate_between_ranks_and_skip_nan()
    {
        double[] values = [5, 1, 4, 2, 3, double.NaN];
        Assert.Equal(3, Statistics.Median(values));
        Assert.Equal(1, Statistics.Percentile(values, 0));
        Assert.Equal(5, Statistics.Percentile(values, 100));
        Assert.Equal(4.96, Statistics.Percentile(values, 99), 10);
        Assert.Equal(2.5, Statistics.Median([1, 2, 3, 4]));
        Assert.True(double.IsNaN(Statistics.Median([double.NaN])));
        Assert.Equal(0.5, Statistics.Ratio(1, 2));
        Assert.True(double.IsNaN(Statistics.Ratio(1, 0)));
    }

    [Fact]
    public void Snmp_dump_line_of_the_go_programs_parses()
    {
        const string line = "2026/11/25 10:00:00 signal.go:26: KCP SNMP:&{BytesSent:94 BytesReceived:110 MaxConn:1 ActiveOpens:0 PassiveOpens:1 CurrEstab:1 InErrs:0 InCsumErrors:0 KCPInErrors:0 InPkts:8 OutPkts:4 InSegs:8 OutSegs:6 InBytes:366 OutBytes:350 RetransSegs:0 FastRetransSegs:0 EarlyRetransSegs:0 LostSegs:0 RepeatSegs:0 FECRecovered:0 FECErrs:0 FECParityShards:0 FECShortShards:0}";
        Assert.True(SnmpDump.TryParse(line, out var counters));
        Assert.Equal(24, counters.Count);
        Assert.Equal(94, counters["BytesSent"]);
        Assert.Equal(6, counters["OutSegs"]);
        Assert.False(SnmpDump.TryParse("2026/11/25 10:00:00 stream opened", out _));
        Assert.False(SnmpDump.TryParse("KCP SNMP:&{", out _));
    }

    [Fact]
    public void Proc_stat_cpu_ticks_survive_odd_command_names()
    {
        const string stat = "4242 (kcptun (x) y) S 1 4242 4242 0 -1 4194560 1200 0 0 0 731 269 0 0 20 0 9 0 100 800000000 5000 18446744073709551615";
        Assert.Equal(731 + 269, ProcStats.ParseCpuTicks(stat));
        const string status = "Name:\tkcptun-server\nVmPeak:\t  800000 kB\nVmHWM:\t   23456 kB\nVmRSS:\t   20000 kB\n";
        Assert.Equal(23456, ProcStats.ParseStatusKilobytes(status, "VmHWM:"));
        Assert.Equal(-1, ProcStats.ParseStatusKilobytes(status, "VmSwap:"));
    }

    [Fact]
    public void Recommendation_formula_matches_the_documented_arithmetic()
    {
        var plain = new Candidate("fast3", 1024, 0, 0);
        var fec = new Candidate("fast3", 1024, 10, 3);
        Assert.Equal(1306, plain.Mss); // 1350 - 20 - 24
        Assert.Equal(1298, fec.Mss);   // FEC header 8 more
        // 1024 x 1298 B / 0.1 s = 13.29 MB/s of goodput; x 13/10 on the wire.
        Assert.Equal(1024 * 1298 / 0.1 / 1e6, fec.WindowBoundMBps(100), 9);
        Assert.Equal(fec.WindowBoundMBps(100) * 1.3, fec.WireMBps(100), 9);
        // 100 Mbit/s = 12.5 MB/s; FEC 10/3 leaves 10/13 of it, times MSS/MTU.
        Assert.Equal(12.5 * 10 / 13 * 1298 / 1350, fec.LinkBoundMBps(100), 9);
        var grid = Candidate.Grid(100, 100); // BDP = 12.5 MB/s x 0.1 s / 1298 = 963 packets -> 1024
        Assert.Equal([512, 1024, 2048], grid.Select(c => c.Window).Distinct().Order());
        Assert.Equal(18, grid.Count);
    }

    [Fact]
    public void Best_candidate_prefers_throughput_then_latency()
    {
        var a = new Candidate("fast2", 256, 0, 0);
        var b = new Candidate("fast3", 512, 10, 3);
        var c = new Candidate("fast3", 1024, 0, 0);
        Assert.Equal(b, Recommender.Best([(a, 10.0, 90.0), (b, 9.7, 60.0), (c, 5.0, 10.0)]));
        Assert.Equal(a, Recommender.Best([(a, 10.0, 90.0), (b, 8.0, 60.0), (c, double.NaN, 10.0)]));
        Assert.Null(Recommender.Best([(a, double.NaN, 1.0)]));
    }

    [Fact]
    public void Markdown_puts_the_ratio_ours_over_go_next_to_both_values()
    {
        RunResult Run(string pair, int run, double mbps) =>
            new() { Scenario = "s", Pair = pair, Run = run, Bulk1MBps = mbps, LatencyP99Ms = 2 };
        var summaries = Summary.Summarize([Run("go:go", 0, 10), Run("ours:ours", 0, 5), Run("go:go", 1, 30),
            Run("ours:ours", 1, 15), Run("go:go", 2, 20), Run("ours:ours", 2, 100)]);
        Assert.Equal(20, summaries.Single(s => s.Pair == "go:go")["bulk1"]);
        Assert.Equal(15, summaries.Single(s => s.Pair == "ours:ours")["bulk1"]);
        var markdown = MarkdownReport.Render(summaries);
        Assert.Contains("| s | 20.0 | 15.0 | 0.75 |", markdown, StringComparison.Ordinal);
        Assert.Contains("ours/Go", markdown, StringComparison.Ordinal);
    }
}
