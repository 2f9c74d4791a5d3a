using System.Globalization;
using Kcptun.EndToEnd;
using Kcptun.EndToEnd.Runner;
using Kcptun.EndToEnd.Tunnel;

// kcptun-bench: end-to-end benchmark of kcptun implementations over loopback and an emulated link.
var command = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "run";
var rest = args.Length > 0 && !args[0].StartsWith('-') ? args[1..] : args;
try
{
    var flags = CommandLine.Parse(rest);
    var go = Implementation.InDirectory("go", flags.Get("go", "/usr/bin"));
    var ours = Implementation.InDirectory("ours", flags.Get("ours", "out"));
    var quoted = string.Join(' ', args.Select(a => a.Any(ch => "|&;<>()$`\\\"' *?[]#~".Contains(ch)) ? $"'{a}'" : a));
    var commandLine = "kcptun-bench " + quoted;
    switch (command)
    {
        case "run":
            return await BenchmarkRun.RunAsync(new RunOptions
            {
                Quick = flags.Has("quick"),
                Runs = flags.GetInt("runs", 3),
                Pairs = flags.Get("pairs", "go:go,ours:ours").Split(',', StringSplitOptions.RemoveEmptyEntries),
                Go = go,
                Ours = ours,
                Only = flags.GetOrNull("only"),
                OutputDirectory = flags.Get("out", Path.Combine("docs", "benchmarks")),
                Name = flags.GetOrNull("name"),
                Seed = flags.GetInt("seed", 1),
                CommandLine = "dotnet run -c Release --project bench/Kcptun.EndToEnd -- " + quoted,
            });
        case "report":
        {
            var from = flags.GetOrNull("from") ?? throw new ArgumentException("report needs --from FILE.jsonl");
            var directory = Path.GetDirectoryName(Path.GetFullPath(from))!;
            var name = Path.GetFileNameWithoutExtension(from);
            BenchmarkRun.WriteReport(BenchmarkRun.ReadResults(from), directory, name, flags.Get("command", commandLine), null, null);
            Console.Error.WriteLine($"kcptun-bench: wrote {Path.Combine(directory, name)}.md and charts");
            return 0;
        }

        case "recommend":
            return await Recommender.RunAsync(new RecommendOptions
            {
                RttMs = flags.GetDouble("rtt", 100),
                LossPercent = flags.GetDouble("loss", 1),
                BandwidthMbps = flags.GetDouble("bandwidth", 50),
                Implementation = flags.Get("impl", "go") == "ours" ? ours : go,
                Seconds = flags.GetDouble("seconds", 4),
                Runs = flags.GetInt("runs", 1),
            });
        case "emulator-ceiling":
            return EmulatorCeiling.Run(flags.GetDouble("seconds", 3));
        case "help" or "-h" or "--help":
            Console.WriteLine(CommandLine.Usage);
            return 0;
        default:
            Console.Error.WriteLine($"kcptun-bench: unknown command '{command}'\n{CommandLine.Usage}");
            return 2;
    }
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine($"kcptun-bench: {e.Message}\n{CommandLine.Usage}");
    return 2;
}
finally
{
    ProcessRegistry.KillAll();
}

namespace Kcptun.EndToEnd
{
    /// <summary><c>--name value</c> / <c>--flag</c> parsing for the bench tool.</summary>
    internal sealed class CommandLine
    {
        public const string Usage = """
            usage:
              kcptun-bench run [--quick] [--runs 3] [--pairs go:go,ours:ours] [--go /usr/bin] [--ours out]
                               [--only REGEX] [--out docs/benchmarks] [--name e2e] [--seed 1]
              kcptun-bench recommend --rtt MS --loss PERCENT --bandwidth MBIT [--impl go|ours] [--seconds 4] [--runs 1]
              kcptun-bench emulator-ceiling [--seconds 3]
              kcptun-bench report --from docs/benchmarks/e2e.jsonl
            """;

        private readonly Dictionary<string, string?> _values = [];

        public static CommandLine Parse(string[] args)
        {
            var line = new CommandLine();
            for (var i = 0; i < args.Length; i++)
            {
                if (!args[i].StartsWith("--", StringComparison.Ordinal))
                {
                    throw new ArgumentException($"unexpected argument '{args[i]}'");
                }

                var key = args[i][2..];
                var eq = key.IndexOf('=', StringComparison.Ordinal);
                if (eq >= 0)
                {
                    line._values[key[..eq]] = key[(eq + 1)..];
                }
                else if (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    line._values[key] = args[++i];
                }
                else
                {
                    line._values[key] = null;
                }
            }

            return line;
        }

        public bool Has(string key) => _values.ContainsKey(key);

        public string? GetOrNull(string key) => _values.TryGetValue(key, out var v) ? v : null;

        public string Get(string key, string fallback) => GetOrNull(key) ?? fallback;

        public int GetInt(string key, int fallback) =>
            GetOrNull(key) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

        public double GetDouble(string key, double fallback) =>
            GetOrNull(key) is { } v ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;
    }
}
