using Kcptun.Cli.Configuration;


namespace Kcptun.Tests.Tunnel;

public class CommandLineParserTests
{
    // Flag -> (value to pass, what the options must then hold). Booleans are given as "" (bare flag).
    private static readonly Dictionary<string, (string Value, Func<TunnelOptions, object?> Read, object Expected)> s_common = new()
    {
        ["key"] = ("secret", o => o.Key, "secret"),
        ["crypt"] = ("salsa20", o => o.Crypt, "salsa20"),
        ["mode"] = ("fast3", o => o.Mode, "fast3"),
        ["cc"] = ("kcp", o => o.CongestionControl, "kcp"),
        ["QPP"] = ("", o => o.Qpp, true),
        ["QPPCount"] = ("7", o => o.QppCount, 7),
        ["mtu"] = ("1200", o => o.Mtu, 1200),
        ["ratelimit"] = ("1000", o => o.RateLimit, 1000),
        ["sndwnd"] = ("64", o => o.SendWindow, 64),
        ["rcvwnd"] = ("256", o => o.ReceiveWindow, 256),
        ["datashard"] = ("5", o => o.DataShards, 5),
        ["parityshard"] = ("2", o => o.ParityShards, 2),
        ["dscp"] = ("46", o => o.Dscp, 46),
        ["acknodelay"] = ("", o => o.AckNoDelay, true),
        ["nodelay"] = ("1", o => o.NoDelay, 1),
        ["interval"] = ("20", o => o.Interval, 20),
        ["resend"] = ("3", o => o.Resend, 3),
        ["nc"] = ("1", o => o.NoCongestion, 1),
        ["sockbuf"] = ("1024", o => o.SocketBuffer, 1024),
        ["smuxbuf"] = ("8192", o => o.SmuxBuffer, 8192),
        ["framesize"] = ("4096", o => o.FrameSize, 4096),
        ["streambuf"] = ("4096", o => o.StreamBuffer, 4096),
        ["keepalive"] = ("5", o => o.KeepAlive, 5),
        ["closewait"] = ("3", o => o.CloseWait, 3),
        ["snmplog"] = ("./snmp-20060102.log", o => o.SnmpLog, "./snmp-20060102.log"),
        ["snmpperiod"] = ("7", o => o.SnmpPeriod, 7),
        ["log"] = ("/tmp/x.log", o => o.Log, "/tmp/x.log"),
        ["quiet"] = ("", o => o.Quiet, true),
        ["tcp"] = ("", o => o.Tcp, true),
        ["pprof"] = ("", o => o.Pprof, true),
        ["metrics"] = (":9100", o => o.Metrics, ":9100"),
        ["c"] = ("/tmp/none.json", o => o.ConfigFile, "/tmp/none.json"),
    };

    private static readonly Dictionary<string, (string Value, Func<TunnelOptions, object?> Read, object Expected)> s_client = new(s_common)
    {
        ["localaddr"] = ("127.0.0.1:1", o => ((ClientOptions)o).LocalAddress, "127.0.0.1:1"),
        ["remoteaddr"] = ("10.0.0.1:2", o => ((ClientOptions)o).RemoteAddress, "10.0.0.1:2"),
        ["conn"] = ("4", o => ((ClientOptions)o).Connections, 4),
        ["autoexpire"] = ("30", o => ((ClientOptions)o).AutoExpire, 30),
        ["scavengettl"] = ("5", o => ((ClientOptions)o).ScavengeTtl, 5),
        ["nocomp"] = ("", o => ((ClientOptions)o).NoCompression, true),
        ["smuxver"] = ("1", o => ((ClientOptions)o).SmuxVersion, 1),
    };

    private static readonly Dictionary<string, (string Value, Func<TunnelOptions, object?> Read, object Expected)> s_server = new(s_common)
    {
        ["listen"] = ("127.0.0.1:1", o => ((ServerOptions)o).Listen, "127.0.0.1:1"),
        ["target"] = ("10.0.0.1:2", o => ((ServerOptions)o).Target, "10.0.0.1:2"),
        ["nocomp"] = ("", o => ((ServerOptions)o).NoCompression, true),
        ["smuxver"] = ("1", o => ((ServerOptions)o).SmuxVersion, 1),
    };

    public static TheoryData<string, string> ClientSpellings() => Spellings(TunnelFlags.Client);

    public static TheoryData<string, string> ServerSpellings() => Spellings(TunnelFlags.Server);

    [Fact]
    public void Every_flag_of_both_programs_has_a_sample()
    {
        Assert.All(TunnelFlags.Client.Where(d => d.Kind is not (OptionKind.Help or OptionKind.Version)), d => Assert.True(s_client.ContainsKey(d.Name), d.Name));
        Assert.All(TunnelFlags.Server.Where(d => d.Kind is not (OptionKind.Help or OptionKind.Version)), d => Assert.True(s_server.ContainsKey(d.Name), d.Name));
    }

    [Theory]
    [MemberData(nameof(ClientSpellings))]
    public void Client_flag_in_every_spelling(string flag, string form) => Check(TunnelFlags.Client, new ClientOptions(), s_client, flag, form);

    [Theory]
    [MemberData(nameof(ServerSpellings))]
    public void Server_flag_in_every_spelling(string flag, string form) => Check(TunnelFlags.Server, new ServerOptions(), s_server, flag, form);

    [Theory]
    [InlineData("-nocomp=true", true)]
    [InlineData("--nocomp=1", true)]
    [InlineData("-nocomp=false", false)]
    [InlineData("-nocomp=F", false)]
    public void Boolean_takes_only_the_equals_form(string argument, bool expected)
    {
        var options = new ClientOptions { NoCompression = !expected };
        CommandLineParser.Parse(TunnelFlags.Client, [argument], ref options);
        Assert.Equal(expected, options.NoCompression);
    }

    [Fact]
    public void Boolean_followed_by_a_value_stops_parsing_there()
    {
        // Go: "false" is a positional argument, which ends flag parsing; --mtu is not applied.
        var options = new ClientOptions();
        CommandLineParser.Parse(TunnelFlags.Client, ["-nocomp", "false", "--mtu", "1000"], ref options);
        Assert.True(options.NoCompression);
        Assert.Equal(1350, options.Mtu);
    }

    [Fact]
    public void Double_dash_ends_flags_and_last_value_wins()
    {
        var options = new ClientOptions();
        CommandLineParser.Parse(TunnelFlags.Client, ["--mtu", "1000", "-mtu=1100", "--", "--mtu", "1200"], ref options);
        Assert.Equal(1100, options.Mtu);
    }

    [Fact]
    public void A_value_may_start_with_a_dash()
    {
        var options = new ClientOptions();
        CommandLineParser.Parse(TunnelFlags.Client, ["--key", "-secret-"], ref options);
        Assert.Equal("-secret-", options.Key);
    }

    [Theory]
    [InlineData(new[] { "-h" }, "Help")]
    [InlineData(new[] { "--help" }, "Help")]
    [InlineData(new[] { "-help" }, "Help")]
    [InlineData(new[] { "--h" }, "Help")]
    [InlineData(new[] { "help" }, "Help")]
    [InlineData(new[] { "--mtu", "1000", "h" }, "Help")]
    [InlineData(new[] { "-v" }, "Version")]
    [InlineData(new[] { "--version" }, "Version")]
    [InlineData(new[] { "extra", "-h" }, "Run")]
    public void Help_and_version(string[] args, string expected)
    {
        var options = new ClientOptions();
        Assert.Equal(expected, CommandLineParser.Parse(TunnelFlags.Client, args, ref options).ToString());
    }

    [Theory]
    [InlineData(new[] { "--bogus" }, "flag provided but not defined: -bogus")]
    [InlineData(new[] { "-MTU", "1" }, "flag provided but not defined: -MTU")]
    [InlineData(new[] { "--qpp" }, "flag provided but not defined: -qpp")]
    [InlineData(new[] { "--mtu", "abc" }, "invalid value \"abc\" for flag -mtu: parse error")]
    [InlineData(new[] { "--mtu=99999999999" }, "invalid value \"99999999999\" for flag -mtu: value out of range")]
    [InlineData(new[] { "--nocomp=yes" }, "invalid boolean value \"yes\" for -nocomp: parse error")]
    [InlineData(new[] { "--mtu" }, "flag needs an argument: -mtu")]
    [InlineData(new[] { "---mtu" }, "bad flag syntax: ---mtu")]
    [InlineData(new[] { "-=1" }, "bad flag syntax: -=1")]
    public void Usage_errors_in_Go_wording(string[] args, string message)
    {
        var options = new ClientOptions();
        var e = Assert.Throws<CommandLineUsageException>(() => CommandLineParser.Parse(TunnelFlags.Client, args, ref options));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Server_short_names()
    {
        var options = new ServerOptions();
        CommandLineParser.Parse(TunnelFlags.Server, ["-l", ":4000", "-t", "127.0.0.1:8388", "--ds", "4", "-ps", "1"], ref options);
        Assert.Equal((":4000", "127.0.0.1:8388", 4, 1), (options.Listen, options.Target, options.DataShards, options.ParityShards));
    }

    private static TheoryData<string, string> Spellings<T>(IReadOnlyList<OptionDefinition<T>> table)
        where T : TunnelOptions
    {
        var data = new TheoryData<string, string>();
        foreach (var definition in table.Where(d => d.Kind is not (OptionKind.Help or OptionKind.Version)))
        {
            foreach (var name in new[] { definition.Name, definition.ShortName }.OfType<string>())
            {
                foreach (var form in new[] { "-N V", "--N V", "-N=V", "--N=V" })
                {
                    data.Add(name, form);
                }
            }
        }

        return data;
    }

    private static void Check<T>(IReadOnlyList<OptionDefinition<T>> table, T options, Dictionary<string, (string Value, Func<TunnelOptions, object?> Read, object Expected)> samples, string flag, string form)
        where T : TunnelOptions
    {
        var definition = CommandLineParser.Find(table, flag)!;
        var (value, read, expected) = samples[definition.Name];
        Assert.NotEqual(expected, read(options)); // the sample differs from the default, so the test can fail
        var isBool = definition.Kind == OptionKind.Bool;
        var dashes = form.StartsWith("--", StringComparison.Ordinal) ? "--" : "-";
        string[] args = form.Contains('=', StringComparison.Ordinal)
            ? [$"{dashes}{flag}={(isBool ? "true" : value)}"]
            : isBool ? [$"{dashes}{flag}"] : [$"{dashes}{flag}", value];
        Assert.Equal(CommandLineAction.Run, CommandLineParser.Parse(table, args, ref options));
        Assert.Equal(expected, read(options));
    }
}
