using Kcptun.EndToEnd.Emulation;

namespace Kcptun.EndToEnd.Runner;

/// <summary>What a scenario measures.</summary>
public enum ScenarioKind
{
    /// <summary>Bulk 1 stream, bulk 8 streams, request/response latency.</summary>
    Transfer,

    /// <summary>Many concurrent short-lived connections.</summary>
    Connections,
}

/// <summary>One benchmark scenario: tunnel flags (the same for both ends and both implementations) and the link.</summary>
public sealed record Scenario
{
    /// <summary>Unique name, e.g. <c>rtt50-loss5-fast2</c>.</summary>
    public required string Name { get; init; }

    /// <summary>What it measures.</summary>
    public ScenarioKind Kind { get; init; } = ScenarioKind.Transfer;

    /// <summary>kcptun flags passed to client and server alike.</summary>
    public IReadOnlyList<string> Flags { get; init; } = [];

    /// <summary>Emulated link in each direction; null = client talks to the server directly over loopback.</summary>
    public LinkProfile? Link { get; init; }

    /// <summary>Bytes of the single-stream transfer.</summary>
    public long BulkBytes { get; init; } = 64L << 20;

    /// <summary>Bytes of the 8-stream transfer (all streams together).</summary>
    public long ParallelBytes { get; init; } = 64L << 20;

    /// <summary>Bytes of the single-stream download (target sends, client reads); 0 = no download measured.</summary>
    public long DownloadBytes { get; init; }

    /// <summary>Request/response round trips timed.</summary>
    public int LatencyRequests { get; init; } = 1000;

    /// <summary>Concurrent connections of a <see cref="ScenarioKind.Connections"/> scenario.</summary>
    public int Connections { get; init; } = 500;

    /// <summary>Hard time limit of each single measurement.</summary>
    public TimeSpan Limit { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>Round-trip time of the emulated link (0 on plain loopback), for charts.</summary>
    public double RttMs { get; init; }

    /// <summary>Loss percent per direction of the emulated link, for charts.</summary>
    public double LossPercent { get; init; }

    /// <summary>The <c>--mode</c> this scenario uses, for charts.</summary>
    public string Mode { get; init; } = "fast";
}

/// <summary>The scenario sets: the full grid and the quick subset.</summary>
public static class ScenarioCatalog
{
    /// <summary>Link rate of the emulated WAN scenarios, Mbit/s.</summary>
    public const double WanRateMbps = 100;

    /// <summary>Every scenario of the full run.</summary>
    public static IReadOnlyList<Scenario> Full()
    {
        var list = new List<Scenario>
        {
            // The defaults (client sndwnd 128, interval 30 ms) cap one session at a few MB/s even on loopback.
            new() { Name = "loopback-default", BulkBytes = 32L << 20, ParallelBytes = 32L << 20 },
            new()
            {
                Name = "loopback-plain", Flags = Plain,
                BulkBytes = 32L << 20, ParallelBytes = 32L << 20,
            },
            FastCpu("loopback-fast3-cpu", []) with { BulkBytes = 256L << 20, ParallelBytes = 256L << 20, DownloadBytes = 256L << 20 },
            FastCpu("loopback-fast3-plain-cpu", Plain) with
            {
                BulkBytes = 256L << 20, ParallelBytes = 256L << 20, DownloadBytes = 256L << 20,
            },
            new() { Name = "conns-500", Kind = ScenarioKind.Connections, Connections = 500 },
        };
        foreach (var rtt in new[] { 50, 150 })
        {
            foreach (var mode in new[] { "fast2", "fast3" })
            {
                foreach (var loss in new[] { 0, 1, 5, 10 })
                {
                    list.Add(Wan(rtt, loss, mode));
                }
            }
        }

        return list;
    }

    /// <summary>A few minutes' subset: one of each kind.</summary>
    public static IReadOnlyList<Scenario> Quick() =>
    [
        new() { Name = "loopback-default", BulkBytes = 16L << 20, ParallelBytes = 16L << 20, LatencyRequests = 500 },
        FastCpu("loopback-fast3-cpu", []),
        FastCpu("loopback-fast3-plain-cpu", Plain),
        Wan(50, 0, "fast2") with { BulkBytes = 4L << 20, ParallelBytes = 4L << 20, LatencyRequests = 50 },
        Wan(50, 5, "fast2") with { BulkBytes = 4L << 20, ParallelBytes = 4L << 20, LatencyRequests = 50 },
        new() { Name = "conns-500", Kind = ScenarioKind.Connections, Connections = 500 },
    ];

    /// <summary>Flags that leave only the protocol cost: no encryption, no compression, no FEC.</summary>
    private static readonly string[] Plain = ["--crypt", "none", "--nocomp", "-ds", "0", "-ps", "0"];

    /// <summary>A CPU-bound loopback scenario: fast3 with 2048-segment windows, plus <paramref name="extra"/> flags.</summary>
    private static Scenario FastCpu(string name, string[] extra) => new()
    {
        Name = name,
        Flags = ["--mode", "fast3", "--sndwnd", "2048", "--rcvwnd", "2048", .. extra],
        BulkBytes = 64L << 20,
        ParallelBytes = 64L << 20,
        DownloadBytes = 64L << 20,
        LatencyRequests = 500,
        Mode = "fast3",
    };

    /// <summary>
    /// Echoes per latency measurement on an emulated WAN: 100, or enough that about 6 of them meet a loss (an echo
    /// crosses the link twice), so that p99 measures loss recovery rather than whether a run happened to meet two
    /// losses. At 1% loss and 100 echoes that was a coin toss: the same build's p99 went from 155 to 321 ms between runs.
    /// </summary>
    internal static int LatencyRequestsFor(double lossPercent) =>
        lossPercent > 0 ? Math.Max(100, (int)Math.Ceiling(300 / lossPercent)) : 100;

    /// <summary>An emulated WAN: RTT split evenly, the same loss each way, 100 Mbit/s cap.</summary>
    public static Scenario Wan(double rttMs, double lossPercent, string mode)
    {
        var link = new LinkProfile { DelayMs = rttMs / 2, LossPercent = lossPercent, RateMbps = WanRateMbps };
        var slow = rttMs >= 100;
        return new Scenario
        {
            Name = $"rtt{rttMs:0}-loss{lossPercent:0.#}-{mode}",
            Flags = ["--mode", mode],
            Link = link,
            BulkBytes = slow ? 4L << 20 : 8L << 20,
            ParallelBytes = slow ? 4L << 20 : 8L << 20,
            LatencyRequests = LatencyRequestsFor(lossPercent),
            Limit = TimeSpan.FromSeconds(60),
            RttMs = rttMs,
            LossPercent = lossPercent,
            Mode = mode,
        };
    }
}
