using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Kcptun.EndToEnd.Emulation;
using Kcptun.EndToEnd.Report;
using Kcptun.EndToEnd.Runner;
using Kcptun.EndToEnd.Tunnel;
using Kcptun.EndToEnd.Workload;

namespace Kcptun.EndToEnd;

/// <summary>Options of the <c>recommend</c> command.</summary>
public sealed record RecommendOptions
{
    /// <summary>Round-trip time of the user's link, ms.</summary>
    public double RttMs { get; init; } = 100;
    /// <summary>Loss per direction, percent.</summary>
    public double LossPercent { get; init; } = 1;
    /// <summary>Bandwidth of the link, Mbit/s.</summary>
    public double BandwidthMbps { get; init; } = 50;
    /// <summary>Which implementation to measure with.</summary>
    public required Implementation Implementation { get; init; }
    /// <summary>Target length of each transfer at the predicted rate, seconds.</summary>
    public double Seconds { get; init; } = 4;
    /// <summary>Runs per candidate (median).</summary>
    public int Runs { get; init; } = 1;
}

/// <summary>One candidate setting of the grid.</summary>
public sealed record Candidate(string Mode, int Window, int DataShards, int ParityShards)
{
    /// <summary>kcptun's default MTU.</summary>
    public const int Mtu = 1350;

    /// <summary>KCP payload per packet with the default cipher: MTU - 20 (nonce + CRC) - 8 (FEC header, when on) - 24 (KCP header).</summary>
    public int Mss => Mtu - 20 - (DataShards > 0 && ParityShards > 0 ? 8 : 0) - 24;

    /// <summary>Window bound on goodput: window x MSS / RTT, in MB/s.</summary>
    public double WindowBoundMBps(double rttMs) => Window * (double)Mss / (rttMs / 1000) / 1e6;

    /// <summary>Wire rate the window bound needs, FEC parity included: x (ds+ps)/ds.</summary>
    public double WireMBps(double rttMs) => WindowBoundMBps(rttMs) * FecFactor;

    /// <summary>(ds+ps)/ds, or 1 without FEC.</summary>
    public double FecFactor => DataShards > 0 && ParityShards > 0 ? (DataShards + ParityShards) / (double)DataShards : 1;

    /// <summary>Goodput the link allows: bandwidth x ds/(ds+ps) x MSS/MTU, in MB/s.</summary>
    public double LinkBoundMBps(double bandwidthMbps) => bandwidthMbps * 1e6 / 8 / 1e6 / FecFactor * Mss / Mtu;

    /// <summary>The flags for both ends.</summary>
    public string[] Flags => ["--mode", Mode, "--sndwnd", Window.ToString(CultureInfo.InvariantCulture), "--rcvwnd",
        Window.ToString(CultureInfo.InvariantCulture), "-ds", DataShards.ToString(CultureInfo.InvariantCulture), "-ps",
        ParityShards.ToString(CultureInfo.InvariantCulture)];

    /// <summary>The grid for a link: modes fast2/fast3, three windows around the bandwidth-delay product, three FEC shapes.</summary>
    public static List<Candidate> Grid(double rttMs, double bandwidthMbps)
    {
        var bdpPackets = bandwidthMbps * 1e6 / 8 * (rttMs / 1000) / 1298;
        var needed = (int)Math.Clamp(System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Ceiling(bdpPackets)), 32, 8192);
        var windows = new[] { needed / 2, needed, needed * 2 }.Select(w => Math.Clamp(w, 32, 16384)).Distinct().ToArray();
        var list = new List<Candidate>();
        foreach (var mode in new[] { "fast2", "fast3" })
        {
            foreach (var window in windows)
            {
                foreach (var (ds, ps) in new[] { (0, 0), (10, 3), (10, 5) })
                {
                    list.Add(new Candidate(mode, window, ds, ps));
                }
            }
        }

        return list;
    }
}

/// <summary>
/// The <c>recommend</c> command ("which settings for my link?"): emulates the given RTT, loss and bandwidth, runs a
/// small grid of modes, windows and FEC shapes, and prints the formula next to the measured result.
/// </summary>
public static class Recommender
{
    /// <summary>Runs the grid and prints a Markdown table and the recommendation.</summary>
    public static async Task<int> RunAsync(RecommendOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Implementation.IsPresent)
        {
            Console.Error.WriteLine($"kcptun-bench: {options.Implementation.ClientPath} or {options.Implementation.ServerPath} is missing");
            return 2;
        }

        var c = CultureInfo.InvariantCulture;
        var link = new LinkProfile
        {
            DelayMs = options.RttMs / 2, LossPercent = options.LossPercent, RateMbps = options.BandwidthMbps,
        };
        Console.WriteLine(string.Create(c,
            $"Link: RTT {options.RttMs} ms, {options.LossPercent}% loss each way, {options.BandwidthMbps} Mbit/s ({options.BandwidthMbps / 8:0.00} MB/s); implementation {options.Implementation.Name}."));
        Console.WriteLine("Formula: goodput <= window x MSS / RTT (the window is min(sndwnd, rcvwnd) in packets); the wire carries that x (ds+ps)/ds with FEC;");
        Console.WriteLine("the link allows at most bandwidth x ds/(ds+ps) x MSS/MTU of goodput. Measured: one upload stream, median of runs.\n");
        Console.WriteLine("| mode | window | ds/ps | window bound MB/s | on the wire MB/s | link bound MB/s | predicted MB/s | measured MB/s | p99 ms | flags |");
        Console.WriteLine("|---|---:|---|---:|---:|---:|---:|---:|---:|---|");
        var runner = new ScenarioRunner { Progress = TextWriter.Null };
        var rows = new List<(Candidate Candidate, double MBps, double P99)>();
        foreach (var candidate in Candidate.Grid(options.RttMs, options.BandwidthMbps))
        {
            var predicted = Math.Min(candidate.WindowBoundMBps(options.RttMs), candidate.LinkBoundMBps(options.BandwidthMbps));
            var bytes = (long)Math.Clamp(predicted * 1e6 * options.Seconds, 1 << 20, 256L << 20);
            var scenario = new Scenario
            {
                Name = $"recommend-{candidate.Mode}-w{candidate.Window}-fec{candidate.DataShards}.{candidate.ParityShards}",
                Flags = candidate.Flags,
                Link = link,
                BulkBytes = bytes,
                ParallelBytes = 0,
                LatencyRequests = 30,
                Limit = TimeSpan.FromSeconds((options.Seconds * 5) + 10),
                RttMs = options.RttMs,
                LossPercent = options.LossPercent,
                Mode = candidate.Mode,
            };
            var results = new List<RunResult>();
            for (var run = 0; run < options.Runs; run++)
            {
                results.Add(await runner.RunAsync(scenario, new Pairing(options.Implementation, options.Implementation), run, 1 + run)
                    .ConfigureAwait(false));
            }

            var mbps = Statistics.Median(results.Select(r => r.Bulk1MBps));
            var p99 = Statistics.Median(results.Select(r => r.LatencyP99Ms));
            rows.Add((candidate, mbps, p99));
            Console.WriteLine(string.Create(c,
                $"| {candidate.Mode} | {candidate.Window} | {candidate.DataShards}/{candidate.ParityShards} | {MarkdownReport.Format(candidate.WindowBoundMBps(options.RttMs))} | {MarkdownReport.Format(candidate.WireMBps(options.RttMs))} | {MarkdownReport.Format(candidate.LinkBoundMBps(options.BandwidthMbps))} | {MarkdownReport.Format(predicted)} | {MarkdownReport.Format(mbps)} | {MarkdownReport.Format(p99)} | `{string.Join(' ', candidate.Flags)}` |"));
        }

        var best = Best(rows);
        if (best is null)
        {
            Console.WriteLine("\nNo candidate completed its transfer; try a longer --seconds or check the programs.");
            return 1;
        }

        Console.WriteLine(string.Create(c,
            $"\nRecommended (highest measured throughput; within 5% of it, the lower p99): `{string.Join(' ', best.Flags)}` on both client and server."));
        return 0;
    }

    /// <summary>Highest throughput; among those within 5% of it, the lowest p99, then the smallest window.</summary>
    public static Candidate? Best(IReadOnlyList<(Candidate Candidate, double MBps, double P99)> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var valid = rows.Where(r => !double.IsNaN(r.MBps)).ToList();
        if (valid.Count == 0)
        {
            return null;
        }

        var top = valid.Max(r => r.MBps);
        return valid.Where(r => r.MBps >= top * 0.95)
            .OrderBy(r => double.IsNaN(r.P99) ? double.MaxValue : r.P99)
            .ThenBy(r => r.Candidate.Window)
            .First().Candidate;
    }
}
