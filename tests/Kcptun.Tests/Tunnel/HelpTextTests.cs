using Kcptun.Cli.Configuration;
using Kcptun.Cli.Hosting;


namespace Kcptun.Tests.Tunnel;

public class HelpTextTests
{
    // Every option line of docs/protocol/cli.md §8.1 to 8.4 (Debian and latest help), as "names" column text.
    private static readonly string[] s_clientFlags =
    [
        "--localaddr value, -l value", "--remoteaddr value, -r value", "--key value", "--crypt value", "--mode value", "--cc value",
        "--QPP", "--QPPCount value", "--conn value", "--autoexpire value", "--scavengettl value", "--mtu value",
        "--ratelimit value", "--sndwnd value", "--rcvwnd value", "--datashard value, --ds value",
        "--parityshard value, --ps value", "--dscp value", "--nocomp", "--sockbuf value", "--smuxver value",
        "--smuxbuf value", "--framesize value", "--streambuf value", "--keepalive value", "--closewait value",
        "--snmplog value", "--snmpperiod value", "--log value", "--quiet", "--tcp", "-c value", "--pprof", "--metrics value", "--help, -h",
        "--version, -v",
    ];

    private static readonly string[] s_serverFlags =
    [
        "--listen value, -l value", "--target value, -t value", "--key value", "--crypt value", "--QPP", "--QPPCount value",
        "--mode value", "--cc value", "--mtu value", "--ratelimit value", "--sndwnd value", "--rcvwnd value",
        "--datashard value, --ds value", "--parityshard value, --ps value", "--dscp value", "--nocomp", "--sockbuf value",
        "--smuxver value", "--smuxbuf value", "--framesize value", "--streambuf value", "--keepalive value",
        "--closewait value", "--snmplog value", "--snmpperiod value", "--pprof", "--log value", "--quiet", "--tcp",
        "-c value", "--metrics value", "--help, -h", "--version, -v",
    ];

    [Fact]
    public void Client_help_lists_every_flag_in_urfave_layout()
    {
        var lines = Options(ClientProgram.Help());
        Assert.Equal(s_clientFlags, lines.Select(l => l[3..36].TrimEnd()).ToArray());
        Assert.All(lines, l => Assert.NotEqual(' ', l[36]));
        Assert.Contains("   --key value                      pre-shared secret between client and server (default: \"it's a secrect\") [$KCPTUN_KEY]", lines);
        Assert.Contains("   --conn value                     set num of UDP connections to server (default: 1)", lines);
        Assert.Contains("   --mode value                     profiles: fast3, fast2, fast, normal, manual (default: \"fast\")", lines);
        Assert.Contains(lines, l => l.StartsWith("   --smuxver value", StringComparison.Ordinal) && l.EndsWith("(default: 2)", StringComparison.Ordinal));
    }

    [Fact]
    public void Server_help_lists_every_flag_and_documents_detection()
    {
        var help = ServerProgram.Help();
        var lines = Options(help);
        Assert.Equal(s_serverFlags, lines.Select(l => l[3..36].TrimEnd()).ToArray());
        Assert.Contains(lines, l => l.StartsWith("   --smuxver value", StringComparison.Ordinal) && l.Contains("detected", StringComparison.Ordinal) && l.EndsWith("(default: auto)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("   --nocomp", StringComparison.Ordinal) && l.Contains("detected", StringComparison.Ordinal));
        Assert.Contains("   --sndwnd value                   set send window size(num of packets) (default: 1024)", lines);
    }

    [Fact]
    public void Crypt_help_lists_exactly_the_accepted_ciphers()
    {
        var line = Options(ClientProgram.Help()).Single(l => l.StartsWith("   --crypt value", StringComparison.Ordinal));
        var listed = line[36..line.IndexOf(" (default", StringComparison.Ordinal)].Split(", ");
        Assert.Equal(CryptNames.All.Order(), listed.Order());
    }

    [Fact]
    public void Hidden_flags_are_not_listed()
    {
        foreach (var help in new[] { ClientProgram.Help(), ServerProgram.Help() })
        {
            foreach (var hidden in new[] { "--nodelay", "--interval", "--resend", "--nc ", "--acknodelay" })
            {
                Assert.DoesNotContain(hidden, help, StringComparison.Ordinal);
            }

            Assert.EndsWith("print the version\n", help, StringComparison.Ordinal);
            Assert.DoesNotContain("\t", help, StringComparison.Ordinal);
        }
    }

    private static List<string> Options(string help) =>
        help[(help.IndexOf("GLOBAL OPTIONS:\n", StringComparison.Ordinal) + 16)..].TrimEnd('\n').Split('\n').ToList();
}
