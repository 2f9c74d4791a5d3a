using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Kcptun.EndToEnd.Report;
using Kcptun.EndToEnd.Tunnel;

namespace Kcptun.EndToEnd.Runner;

/// <summary>Options of the <c>run</c> command.</summary>
public sealed record RunOptions
{
    /// <summary>The quick subset instead of the full grid.</summary>
    public bool Quick { get; init; }
    /// <summary>Runs per scenario and pairing (the median is reported).</summary>
    public int Runs { get; init; } = 3;
    /// <summary>Pairings to run, <c>client:server</c>, e.g. <c>go:go</c>, <c>ours:ours</c>, <c>ours:go</c>.</summary>
    public IReadOnlyList<string> Pairs { get; init; } = ["go:go", "ours:ours"];
    /// <summary>The Go implementation.</summary>
    public Implementation Go { get; init; } = Implementation.InDirectory("go", "/usr/bin");
    /// <summary>Our implementation (published programs).</summary>
    public Implementation Ours { get; init; } = Implementation.InDirectory("ours", "out");
    /// <summary>Only scenarios whose name matches this regular expression.</summary>
    public string? Only { get; init; }
    /// <summary>Where the report, JSON lines and charts go.</summary>
    public string OutputDirectory { get; init; } = Path.Combine("docs", "benchmarks");
    /// <summary>Base name of the output files.</summary>
    public string? Name { get; init; }
    /// <summary>Base seed of the emulator.</summary>
    public int Seed { get; init; } = 1;
    /// <summary>The command line, recorded in the report.</summary>
    public string CommandLine { get; init; } = "";
}

/// <summary>The <c>run</c> command: every scenario, every run, pairings interleaved; then the reports.</summary>
public static class BenchmarkRun
{
    /// <summary>JSON settings of the result lines (NaN written as "NaN").</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Runs the benchmark; returns the process exit code.</summary>
    public static async Task<int> RunAsync(RunOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var pairings = new List<Pairing>();
        foreach (var label in options.Pairs)
        {
            var parts = label.Split(':');
            if (parts.Length != 2 || Pick(parts[0], options) is not { } client || Pick(parts[1], options) is not { } server)
            {
                Console.Error.WriteLine($"kcptun-bench: bad pairing '{label}' (use client:server with go or ours)");
                return 2;
            }

            if (!client.IsPresent || !server.IsPresent)
            {
                Console.Error.WriteLine($"kcptun-bench: skipping {label}: {(client.IsPresent ? server : client).ServerPath} or its client is missing");
                continue;
            }

            pairings.Add(new Pairing(client, server));
        }

        if (pairings.Count == 0)
        {
            Console.Error.WriteLine("kcptun-bench: no pairing has both programs; nothing to run");
            return 2;
        }

        var scenarios = (options.Quick ? ScenarioCatalog.Quick() : ScenarioCatalog.Full())
            .Where(s => options.Only is null || Regex.IsMatch(s.Name, options.Only))
            .ToList();
        var name = options.Name ?? (options.Quick ? "e2e-quick" : "e2e");
        Directory.CreateDirectory(options.OutputDirectory);
        var jsonPath = Path.Combine(options.OutputDirectory, name + ".jsonl");
        var results = new List<RunResult>();
        var runner = new ScenarioRunner();
        var started = Stopwatch.GetTimestamp();
        await using (var json = new StreamWriter(jsonPath, append: false))
        {
            foreach (var scenario in scenarios)
            {
                for (var run = 0; run < options.Runs; run++)
                {
                    // Alternate which pairing goes first, so neither always gets the warmer machine.
                    var order = run % 2 == 0 ? pairings : Enumerable.Reverse(pairings).ToList();
                    foreach (var pair in order)
                    {
                        var seed = options.Seed + (run * 1000) + scenario.Name.Length;
                        var result = await runner.RunAsync(scenario, pair, run, seed).ConfigureAwait(false);
                        results.Add(result);
                        await json.WriteLineAsync(JsonSerializer.Serialize(result, Json)).ConfigureAwait(false);
                        await json.FlushAsync().ConfigureAwait(false);
                        Console.Error.WriteLine(Line(result));
                    }
                }
            }
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        WriteReport(results, options.OutputDirectory, name, options.CommandLine, options, elapsed);
        Console.Error.WriteLine($"kcptun-bench: wrote {Path.Combine(options.OutputDirectory, name)}.md, .jsonl and charts in {elapsed.TotalMinutes:0.0} min");
        return 0;
    }

    /// <summary>Writes the Markdown report and the charts of <paramref name="results"/>.</summary>
    public static void WriteReport(IReadOnlyList<RunResult> results, string directory, string name, string command,
        RunOptions? options, TimeSpan? elapsed)
    {
        ArgumentNullException.ThrowIfNull(results);
        var summaries = Summary.Summarize(results);
        var charts = Charts.Write(summaries, directory, name);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"# kcptun end-to-end benchmark: {name}").AppendLine().AppendLine();
        sb.AppendLine("Regenerate with:").AppendLine().AppendLine("```sh").AppendLine(command).AppendLine("```").AppendLine();
        sb.Append(CultureInfo.InvariantCulture, $"- Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; machine: {Environment.ProcessorCount} cores, {CpuModel()}, Linux {Environment.OSVersion.Version}").AppendLine();
        if (options is not null)
        {
            sb.Append(CultureInfo.InvariantCulture, $"- Go: `{options.Go.ClientPath}` ({Version(options.Go.ClientPath)}); ours: `{options.Ours.ClientPath}` ({Version(options.Ours.ClientPath)})").AppendLine();
        }

        var runs = results.Select(r => r.Run).DefaultIfEmpty(-1).Max() + 1;
        sb.Append(CultureInfo.InvariantCulture, $"- Every figure is the median of {runs} runs; pairings (`client:server`) interleaved within each run; ratio = ours:ours / go:go.").AppendLine();
        sb.AppendLine("- Both ends get the same flags: `--key kcptun-bench --smuxver 2 --quiet` plus the scenario's own (Debian's Go defaults to smux v1, ours to v2, so it is explicit).");
        sb.AppendLine("- Emulated scenarios (`rttN-lossL-mode`): the built-in UDP link emulator between client and server, RTT split evenly, L% random loss in each direction, 100 Mbit/s cap per direction with a 256 KiB tail-drop queue, seeded (the same seed for every pairing of a run).");
        sb.AppendLine("- The harness (target, emulator, load generator) runs on the same 2 cores as the tunnel, so loopback figures are machine-bound; compare ratios rather than absolutes.");
        if (elapsed is { } e)
        {
            sb.Append(CultureInfo.InvariantCulture, $"- Wall time of the run: {e.TotalMinutes:0.0} min.").AppendLine();
        }

        sb.AppendLine();
        sb.Append(MarkdownReport.Render(summaries));
        if (charts.Count > 0)
        {
            sb.AppendLine("### Charts").AppendLine();
            foreach (var chart in charts)
            {
                sb.Append(CultureInfo.InvariantCulture, $"![{chart}]({chart})").AppendLine();
            }

            sb.AppendLine();
        }

        File.WriteAllText(Path.Combine(directory, name + ".md"), sb.ToString());
    }

    /// <summary>Reads result lines written by a run.</summary>
    public static List<RunResult> ReadResults(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<RunResult>(l, Json)!).ToList();

    private static Implementation? Pick(string name, RunOptions options) => name switch
    {
        "go" => options.Go,
        "ours" => options.Ours,
        _ => null,
    };

    private static string Line(RunResult r)
    {
        var c = CultureInfo.InvariantCulture;
        var errors = r.Errors.Count == 0 ? ""
            : " ERRORS: " + string.Join("; ", r.Errors.Select(e => e.Length <= 160 ? e : e[..160] + "...").Select(e => e.ReplaceLineEndings(" | ")));
        return double.IsNaN(r.ConnectionsPerSecond)
            ? string.Create(c, $"{r.Scenario,-22} {r.Pair,-9} run {r.Run}: bulk1 {r.Bulk1MBps:0.00} MB/s, bulk8 {r.Bulk8MBps:0.00} MB/s, down1 {r.Download1MBps:0.00} MB/s, p50 {r.LatencyP50Ms:0.00} ms, p99 {r.LatencyP99Ms:0.00} ms, cpu c/s {r.ClientCpuPerGiB:0.0}/{r.ServerCpuPerGiB:0.0} s/GiB (down {r.ClientCpuPerGiBDownload:0.0}/{r.ServerCpuPerGiBDownload:0.0}), rss c/s {r.ClientPeakRssMiB:0}/{r.ServerPeakRssMiB:0} MiB{errors}")
            : string.Create(c, $"{r.Scenario,-22} {r.Pair,-9} run {r.Run}: {r.ConnectionsPerSecond:0} conn/s, p50 {r.ConnectP50Ms:0.0} ms, p99 {r.ConnectP99Ms:0.0} ms{errors}");
    }

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? "unknown CPU" : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (IOException)
        {
            return "unknown CPU";
        }
    }

    private static string Version(string program)
    {
        if (!File.Exists(program))
        {
            return "absent";
        }

        try
        {
            using var process = Process.Start(new ProcessStartInfo(program, "-v")
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            })!;
            var text = process.StandardOutput.ReadToEnd().Trim();
            if (!process.WaitForExit(5000))
            {
                process.Kill();
            }

            return text.Length == 0 ? "no version" : text;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "not runnable";
        }
    }
}
