using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace Kcptun.Transport.FakeTcp;

/// <summary>
/// Runs <c>iptables</c> / <c>ip6tables</c> (as Go's tcpraw does through coreos/go-iptables, which execs the same
/// programs; on Debian 12 they drive nftables through the iptables-nft compatibility layer). Every rule we add
/// carries the comment <c>kcptun-dotnet:&lt;pid&gt;</c>, so a rule left by a run that was killed can be recognised
/// and removed by the next run (<see cref="RemoveStaleRules"/>).
/// </summary>
internal static class FirewallTool
{
    /// <summary>The comment prefix of our rules; the process id follows.</summary>
    public const string CommentPrefix = "kcptun-dotnet:";

    private static readonly string[] s_folders = ["/usr/sbin", "/sbin", "/usr/bin", "/bin", "/usr/local/sbin"];
    private static readonly Lock s_staleGate = new();
    private static readonly HashSet<AddressFamily> s_staleChecked = [];

    /// <summary>Our rule comment for this process.</summary>
    public static string Comment { get; } = CommentPrefix + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

    /// <summary>The program for <paramref name="family"/>: iptables or ip6tables.</summary>
    public static string ProgramName(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? "ip6tables" : "iptables";

    /// <summary>Runs the program with <paramref name="arguments"/>; throws <see cref="FakeTcpException"/> on failure.</summary>
    public static string Run(AddressFamily family, params IReadOnlyList<string> arguments)
    {
        string name = ProgramName(family);
        string path = Locate(name);
        var start = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-w"); // wait for the xtables lock instead of failing when another program holds it
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new FakeTcpException($"--tcp: cannot start {path}");
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            string reason = error.GetAwaiter().GetResult().Trim();
            throw new FakeTcpException(
                $"--tcp: `{name} {string.Join(' ', arguments)}` failed (exit {process.ExitCode}): {reason}" +
                (reason.Contains("ermission", StringComparison.Ordinal) ? " (--tcp needs CAP_NET_ADMIN: run as root)" : ""));
        }

        return output;
    }

    /// <summary>
    /// Deletes OUTPUT rules tagged with our comment whose process no longer runs (a run that crashed or was killed);
    /// once per family and process. Throws <see cref="FakeTcpException"/> when the tool is missing or not allowed.
    /// </summary>
    public static void RemoveStaleRules(AddressFamily family)
    {
        lock (s_staleGate)
        {
            if (!s_staleChecked.Add(family))
            {
                return;
            }

            try
            {
                string rules = Run(family, "-S", "OUTPUT");
                foreach (string line in rules.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    if (StaleRule(line) is { } delete)
                    {
                        Run(family, delete);
                    }
                }
            }
            catch
            {
                s_staleChecked.Remove(family);
                throw;
            }
        }
    }

    /// <summary>
    /// For one line of <c>iptables -S OUTPUT</c>: the arguments that delete it when it is ours and its process is
    /// gone, else null. Our rules hold no spaces inside an argument, so splitting on spaces is exact for them.
    /// </summary>
    internal static string[]? StaleRule(string line)
    {
        string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length < 3 || words[0] != "-A" || words[1] != "OUTPUT")
        {
            return null;
        }

        int comment = Array.IndexOf(words, "--comment");
        if (comment < 0 || comment + 1 >= words.Length)
        {
            return null;
        }

        string tag = words[comment + 1].Trim('"');
        if (!tag.StartsWith(CommentPrefix, StringComparison.Ordinal)
            || !int.TryParse(tag.AsSpan(CommentPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
            || pid == Environment.ProcessId || Directory.Exists("/proc/" + pid.ToString(CultureInfo.InvariantCulture)))
        {
            return null;
        }

        words[0] = "-D";
        for (int i = 0; i < words.Length; i++)
        {
            words[i] = words[i].Trim('"');
        }

        return words;
    }

    private static string Locate(string name)
    {
        foreach (string folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(s_folders))
        {
            string path = Path.Combine(folder, name);
            if (File.Exists(path))
            {
                return path;
            }
        }

        throw new FakeTcpException(
            $"--tcp: {name} not found: it is needed to drop the kernel's own packets of the fake TCP connection (apt-get install iptables)");
    }
}
