using System.Globalization;
using System.Text;

namespace Kcptun.EndToEnd.Report;

/// <summary>Writes the Markdown tables: absolute medians per pairing and the ratio ours/Go next to them.</summary>
public static class MarkdownReport
{
    /// <summary>The pairing every ratio is taken against.</summary>
    public const string Baseline = "go:go";

    /// <summary>The pairing compared with the baseline.</summary>
    public const string Ours = "ours:ours";

    /// <summary>Renders the report body (tables only; the caller adds the header).</summary>
    public static string Render(IReadOnlyList<Summary> summaries)
    {
        ArgumentNullException.ThrowIfNull(summaries);
        var pairs = summaries.Select(s => s.Pair).Distinct().OrderBy(p => p == Baseline ? 0 : p == Ours ? 1 : 2).ToList();
        var withRatio = pairs.Contains(Baseline) && pairs.Contains(Ours);
        var sb = new StringBuilder();
        var transfer = summaries.Where(s => double.IsNaN(s["connRate"]))
            .Select(s => s.Scenario).Distinct().ToList();
        var conns = summaries.Where(s => !double.IsNaN(s["connRate"])).Select(s => s.Scenario).Distinct().ToList();

        Table(sb, "Throughput (MB/s = 10^6 bytes/s; upload: client sends; download: target sends; data verified by XxHash3)",
            summaries, transfer, pairs, withRatio, ["bulk1", "bulk8", "down1"]);
        Table(sb, "Request/response latency (64-byte echo through the tunnel, ms)", summaries, transfer, pairs, withRatio,
            ["p50", "p99", "max"]);
        Table(sb, "CPU (user+sys seconds per GiB moved in the bulk uploads, and in the download) and peak RSS (VmHWM, MiB)",
            summaries, transfer, pairs, withRatio, ["cpuClient", "cpuServer", "cpuClientDown", "cpuServerDown", "rssClient", "rssServer"]);
        Table(sb, "KCP counters from SIGUSR1 dumps (RetransSegs / OutSegs; FECRecovered)", summaries, transfer, pairs,
            withRatio, ["retransClient", "retransServer", "fecServer"]);
        if (conns.Count > 0)
        {
            Table(sb, "Concurrent short-lived connections (each: connect, 32-byte echo, close; all at once)", summaries,
                conns, pairs, withRatio, ["connRate", "connP50", "connP99", "rssClient", "rssServer"]);
        }

        var failed = summaries.Where(s => s.FailedRuns > 0).ToList();
        if (failed.Count > 0)
        {
            sb.AppendLine("Runs with a failure (the failed figures are left out of the medians; details in the JSON lines):").AppendLine();
            foreach (var s in failed)
            {
                sb.Append(CultureInfo.InvariantCulture, $"- {s.Scenario} {s.Pair}: {s.FailedRuns} of {s.Runs}").AppendLine();
            }

            sb.AppendLine();
        }

        return sb.ToString();
    }

    private static void Table(StringBuilder sb, string title, IReadOnlyList<Summary> summaries, List<string> scenarios,
        List<string> pairs, bool withRatio, string[] keys)
    {
        if (scenarios.Count == 0)
        {
            return;
        }

        sb.Append("### ").AppendLine(title).AppendLine();
        var header = new StringBuilder("| scenario |");
        var rule = new StringBuilder("|---|");
        foreach (var key in keys)
        {
            var label = Summary.Figures.First(f => f.Key == key).Label;
            foreach (var pair in pairs)
            {
                header.Append(CultureInfo.InvariantCulture, $" {label} {pair} |");
                rule.Append("---:|");
            }

            if (withRatio)
            {
                header.Append(" ours/Go |");
                rule.Append("---:|");
            }
        }

        sb.Append(header).AppendLine().Append(rule).AppendLine();
        foreach (var scenario in scenarios)
        {
            sb.Append(CultureInfo.InvariantCulture, $"| {scenario} |");
            foreach (var key in keys)
            {
                foreach (var pair in pairs)
                {
                    var s = summaries.FirstOrDefault(x => x.Scenario == scenario && x.Pair == pair);
                    sb.Append(' ').Append(Format(s?[key] ?? double.NaN)).Append(" |");
                }

                if (withRatio)
                {
                    var go = summaries.FirstOrDefault(x => x.Scenario == scenario && x.Pair == Baseline)?[key] ?? double.NaN;
                    var ours = summaries.FirstOrDefault(x => x.Scenario == scenario && x.Pair == Ours)?[key] ?? double.NaN;
                    var ratio = Runner.Statistics.Ratio(ours, go);
                    sb.Append(' ').Append(double.IsNaN(ratio) ? "–" : ratio.ToString("0.00", CultureInfo.InvariantCulture)).Append(" |");
                }
            }

            sb.AppendLine();
        }

        sb.AppendLine();
    }

    /// <summary>Three significant digits, "–" for a missing figure.</summary>
    public static string Format(double value)
    {
        if (double.IsNaN(value) || double.IsInfinity(value))
        {
            return "–";
        }

        var magnitude = Math.Abs(value);
        var format = magnitude >= 100 ? "0" : magnitude >= 10 ? "0.0" : magnitude >= 1 ? "0.00" : "0.000";
        return value.ToString(format, CultureInfo.InvariantCulture);
    }
}
