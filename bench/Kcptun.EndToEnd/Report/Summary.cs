using Kcptun.EndToEnd.Runner;

namespace Kcptun.EndToEnd.Report;

/// <summary>The median over runs of every figure of one (scenario, pairing).</summary>
public sealed record Summary(string Scenario, string Pair, int Runs, int FailedRuns, IReadOnlyDictionary<string, double> Medians)
{
    /// <summary>RTT of the scenario's emulated link (0 = loopback).</summary>
    public double RttMs { get; init; }

    /// <summary>Loss percent per direction.</summary>
    public double LossPercent { get; init; }

    /// <summary>The scenario's mode.</summary>
    public string Mode { get; init; } = "fast";

    /// <summary>Names of the figures, in report order, with their units.</summary>
    public static readonly IReadOnlyList<(string Key, string Label, Func<RunResult, double> Get)> Figures =
    [
        ("bulk1", "1 stream MB/s", r => r.Bulk1MBps),
        ("bulk8", "8 streams MB/s", r => r.Bulk8MBps),
        ("down1", "1 stream download MB/s", r => r.Download1MBps),
        ("p50", "p50 ms", r => r.LatencyP50Ms),
        ("p99", "p99 ms", r => r.LatencyP99Ms),
        ("max", "max ms", r => r.LatencyMaxMs),
        ("cpuClient", "client CPU s/GiB", r => r.ClientCpuPerGiB),
        ("cpuServer", "server CPU s/GiB", r => r.ServerCpuPerGiB),
        ("cpuClientDown", "client CPU s/GiB download", r => r.ClientCpuPerGiBDownload),
        ("cpuServerDown", "server CPU s/GiB download", r => r.ServerCpuPerGiBDownload),
        ("rssClient", "client peak RSS MiB", r => r.ClientPeakRssMiB),
        ("rssServer", "server peak RSS MiB", r => r.ServerPeakRssMiB),
        ("connRate", "connections/s", r => r.ConnectionsPerSecond),
        ("connP50", "connect+echo p50 ms", r => r.ConnectP50Ms),
        ("connP99", "connect+echo p99 ms", r => r.ConnectP99Ms),
        ("retransClient", "client retrans %", r => RetransPercent(r.ClientSnmp)),
        ("retransServer", "server retrans %", r => RetransPercent(r.ServerSnmp)),
        ("fecServer", "server FEC recovered", r => Counter(r.ServerSnmp, "FECRecovered")),
    ];

    /// <summary>Median of one figure; NaN when absent.</summary>
    public double this[string key] => Medians.TryGetValue(key, out var v) ? v : double.NaN;

    /// <summary>Groups runs by scenario and pairing (first-seen order) and takes medians.</summary>
    public static List<Summary> Summarize(IEnumerable<RunResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        return results
            .GroupBy(r => (r.Scenario, r.Pair))
            .Select(g => new Summary(g.Key.Scenario, g.Key.Pair, g.Count(), g.Count(r => r.Errors.Count > 0),
                Figures.ToDictionary(f => f.Key, f => Statistics.Median(g.Select(f.Get))))
            {
                RttMs = g.First().RttMs,
                LossPercent = g.First().LossPercent,
                Mode = g.First().Mode,
            })
            .ToList();
    }

    private static double RetransPercent(IReadOnlyDictionary<string, long>? snmp)
    {
        var retrans = Counter(snmp, "RetransSegs");
        var outSegs = Counter(snmp, "OutSegs");
        return outSegs > 0 ? 100 * retrans / outSegs : double.NaN;
    }

    private static double Counter(IReadOnlyDictionary<string, long>? snmp, string name) =>
        snmp is not null && snmp.TryGetValue(name, out var v) ? v : double.NaN;
}
