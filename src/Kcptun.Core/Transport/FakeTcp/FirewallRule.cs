using System.Net.Sockets;

namespace Kcptun.Transport.FakeTcp;

/// <summary>
/// One OUTPUT rule that drops the kernel's own segments of a fake-TCP connection: they leave with TTL (hop limit) 1,
/// our raw segments with the default, so <c>-m ttl --ttl-eq 1</c> (<c>-m hl --hl-eq 1</c>) picks exactly the
/// kernel's, as in tcpraw. Removed on <see cref="Dispose"/>, and at process exit if still there (a SIGTERM that
/// skipped the orderly close); a rule left by a killed process is removed by the next run.
/// </summary>
internal sealed class FirewallRule : IDisposable
{
    private static readonly Lock s_liveGate = new();
    private static readonly HashSet<FirewallRule> s_live = [];
    private static bool s_exitHooked;

    private readonly AddressFamily _family;
    private readonly string[] _match;
    private int _removed;

    private FirewallRule(AddressFamily family, string[] match)
    {
        _family = family;
        _match = match;
    }

    /// <summary>The rule's match, without the table operation (for tests and messages).</summary>
    public IReadOnlyList<string> Match => _match;

    /// <summary>
    /// Appends <c>OUTPUT &lt;ttl match&gt; -p tcp &lt;<paramref name="selector"/>&gt; -m comment --comment kcptun-dotnet:pid -j DROP</c>
    /// after removing stale rules. Throws <see cref="FakeTcpException"/> when it cannot.
    /// </summary>
    public static FirewallRule Add(AddressFamily family, params IReadOnlyList<string> selector)
    {
        FirewallTool.RemoveStaleRules(family);
        string[] ttl = family == AddressFamily.InterNetworkV6 ? ["-m", "hl", "--hl-eq", "1"] : ["-m", "ttl", "--ttl-eq", "1"];
        string[] match = [.. ttl, "-p", "tcp", .. selector, "-m", "comment", "--comment", FirewallTool.Comment, "-j", "DROP"];
        var rule = new FirewallRule(family, match);
        FirewallTool.Run(family, ["-A", "OUTPUT", .. match]);
        lock (s_liveGate)
        {
            s_live.Add(rule);
            if (!s_exitHooked)
            {
                s_exitHooked = true;
                AppDomain.CurrentDomain.ProcessExit += (_, _) => RemoveAll();
            }
        }

        return rule;
    }

    /// <summary>Deletes the rule (once); a failure is reported to <paramref name="log"/>, never thrown.</summary>
    public void Remove(Action<string>? log = null)
    {
        if (Interlocked.Exchange(ref _removed, 1) != 0)
        {
            return;
        }

        lock (s_liveGate)
        {
            s_live.Remove(this);
        }

        try
        {
            FirewallTool.Run(_family, ["-D", "OUTPUT", .. _match]);
        }
        catch (Exception e) when (e is FakeTcpException or IOException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            log?.Invoke($"--tcp: could not remove firewall rule: {e.Message}");
        }
    }

    public void Dispose() => Remove();

    private static void RemoveAll()
    {
        FirewallRule[] live;
        lock (s_liveGate)
        {
            live = [.. s_live];
        }

        foreach (FirewallRule rule in live)
        {
            rule.Remove();
        }
    }
}
