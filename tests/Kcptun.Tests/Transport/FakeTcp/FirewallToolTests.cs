using System.Globalization;
using Kcptun.Transport.FakeTcp;

namespace Kcptun.Tests.Transport.FakeTcp;

/// <summary>Recognising the rules a killed earlier run left behind, from <c>iptables -S OUTPUT</c>.</summary>
public sealed class FirewallToolTests
{
    [Fact]
    public void A_rule_of_a_process_that_is_gone_is_deleted_with_its_exact_match()
    {
        int gone = DeadPid();
        string line = $"-A OUTPUT -d 10.99.0.2/32 -p tcp -m ttl --ttl-eq 1 -m tcp --dport 4000 -m comment --comment \"kcptun-dotnet:{gone}\" -j DROP";
        string[]? delete = FirewallTool.StaleRule(line);
        Assert.NotNull(delete);
        Assert.Equal(["-D", "OUTPUT", "-d", "10.99.0.2/32", "-p", "tcp", "-m", "ttl", "--ttl-eq", "1", "-m", "tcp", "--dport",
            "4000", "-m", "comment", "--comment", $"kcptun-dotnet:{gone}", "-j", "DROP"], delete);
    }

    [Fact]
    public void Rules_of_live_processes_and_rules_of_others_are_left_alone()
    {
        Assert.Null(FirewallTool.StaleRule($"-A OUTPUT -p tcp -m ttl --ttl-eq 1 -m tcp --sport 4000 -m comment --comment {FirewallTool.Comment} -j DROP"));
        Assert.Null(FirewallTool.StaleRule("-A OUTPUT -p tcp -m ttl --ttl-eq 1 -m tcp --sport 4000 -m comment --comment kcptun-dotnet:1 -j DROP"));
        Assert.Null(FirewallTool.StaleRule("-A OUTPUT -d 10.99.0.2/32 -p tcp -m ttl --ttl-eq 1 -m tcp --dport 4000 -j DROP")); // Go's, untagged
        Assert.Null(FirewallTool.StaleRule("-A OUTPUT -m comment --comment other:12345 -j DROP"));
        Assert.Null(FirewallTool.StaleRule("-P OUTPUT ACCEPT"));
        Assert.Null(FirewallTool.StaleRule("-A INPUT -m comment --comment kcptun-dotnet:999999999 -j DROP"));
    }

    private static int DeadPid()
    {
        for (int pid = 4_000_000; ; pid--)
        {
            if (!Directory.Exists("/proc/" + pid.ToString(CultureInfo.InvariantCulture)))
            {
                return pid;
            }
        }
    }
}
