using System.Text;
using Kcptun.Cli.Configuration;
using Kcptun.Tunnel;

namespace Kcptun.Tests.Tunnel;

public sealed class JsonConfigFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("kcptun-json-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Json_overrides_the_command_line_whatever_the_order()
    {
        var path = Write("{\"mtu\": 1200, \"key\": \"fromjson\"}");
        var loaded = TunnelConfiguration.LoadClient(["--mtu", "1000", "-c", path, "--key", "fromcli", "--sndwnd", "99"], _ => null);
        Assert.Equal(1200, loaded.Options.Mtu);
        Assert.Equal("fromjson", loaded.Options.Key);
        Assert.Equal(99, loaded.Options.SendWindow); // keys absent from the file keep the command-line value
    }

    [Fact]
    public void Keys_match_case_insensitively_and_the_last_occurrence_wins()
    {
        var first = Apply("{\"mtu\":1300, \"MTU\":1234}");
        var second = Apply("{\"MTU\":1234, \"mtu\":1300}");
        Assert.Equal(1234, first.Mtu);
        Assert.Equal(1300, second.Mtu);
        Assert.Equal("fast3", Apply("{\"Mode\":\"fast3\"}").Mode);
        Assert.Equal(":1", Apply("{\"LOCALADDR\":\":1\"}").LocalAddress);
    }

    [Fact]
    public void Unknown_keys_short_names_and_null_are_ignored()
    {
        var options = Apply("{\"ds\": 1, \"l\": \":9\", \"whatever\": {\"a\": [1, 2]}, \"mtu\": null, \"c\": \"x\"}");
        Assert.Equal(new ClientOptions(), options);
    }

    [Fact]
    public void Every_json_key_of_the_spec_is_read()
    {
        var client = Apply("""
            {"localaddr": ":2000", "remoteaddr": "11.22.33.44:2000", "key": "PASSWORD", "crypt": "aes-128", "mode": "fast3",
             "conn": 2, "autoexpire": 1800, "scavengettl": 60, "mtu": 1400, "sndwnd": 256, "rcvwnd": 1024, "datashard": 5,
             "parityshard": 2, "dscp": 46, "nocomp": true, "acknodelay": true, "nodelay": 1, "interval": 40, "resend": 2, "nc": 1,
             "sockbuf": 16777217, "smuxver": 1, "smuxbuf": 16777217, "streambuf": 2097152, "keepalive": 20, "log": "l",
             "snmplog": "s", "snmpperiod": 30, "quiet": true, "tcp": true, "ratelimit": 5, "framesize": 8192, "pprof": true,
             "qpp": true, "qpp-count": 7, "closewait": 4}
            """);
        Assert.Equal(new ClientOptions
        {
            LocalAddress = ":2000",
            RemoteAddress = "11.22.33.44:2000",
            Key = "PASSWORD",
            Crypt = "aes-128",
            Mode = "fast3",
            Connections = 2,
            AutoExpire = 1800,
            ScavengeTtl = 60,
            Mtu = 1400,
            SendWindow = 256,
            ReceiveWindow = 1024,
            SendWindowGiven = true,
            ReceiveWindowGiven = true,
            FecShardsGiven = true,
            DataShards = 5,
            ParityShards = 2,
            Dscp = 46,
            NoCompression = true,
            AckNoDelay = true,
            NoDelay = 1,
            Interval = 40,
            Resend = 2,
            NoCongestion = 1,
            SocketBuffer = 16777217,
            SmuxVersion = 1,
            SmuxBuffer = 16777217,
            StreamBuffer = 2097152,
            KeepAlive = 20,
            Log = "l",
            SnmpLog = "s",
            SnmpPeriod = 30,
            Quiet = true,
            Tcp = true,
            RateLimit = 5,
            FrameSize = 8192,
            Pprof = true,
            Qpp = true,
            QppCount = 7,
            CloseWait = 4,
        }, client);

        var server = JsonConfigFile.Apply(TunnelFlags.Server, "s.json", """{"listen": ":2000", "target": "127.0.0.1:9999", "nocomp": false, "smuxver": 2, "pprof": true}"""u8, new ServerOptions());
        Assert.Equal(new ServerOptions { Listen = ":2000", Target = "127.0.0.1:9999", NoCompression = false, SmuxVersion = 2, Pprof = true }, server);
    }

    [Fact]
    public void Only_the_first_json_value_is_read()
    {
        Assert.Equal(1000, Apply("{\"mtu\": 1000}\n{\"mtu\": 1100} trailing garbage").Mtu);
    }

    [Fact]
    public void The_mode_profile_wins_over_manual_values_from_json()
    {
        var options = Apply("{\"mode\": \"fast3\", \"nodelay\": 0, \"interval\": 40, \"resend\": 0, \"nc\": 0}");
        Assert.Equal(new KcpTuning(1, 10, 2, 1), options.Kcp);
        var manual = Apply("{\"mode\": \"manual\", \"nodelay\": 1, \"interval\": 15, \"resend\": 3, \"nc\": 1}");
        Assert.Equal(new KcpTuning(1, 15, 3, 1), manual.Kcp);
    }

    [Theory]
    [InlineData("{\n  \"mtu\": 1350,\n}", "line 3, column 1")]
    [InlineData("{\"mtu\" 1}", "line 1, column 8")]
    [InlineData("{\n\"mtu\": 13x}", "line 2, column 10")]
    [InlineData("", "the file is empty")]
    [InlineData("[1]", "line 1, column 1: expected a JSON object")]
    public void Malformed_json_names_line_and_column(string json, string expected)
    {
        var path = Write(json);
        var e = Assert.Throws<TunnelConfigurationException>(() => TunnelConfiguration.LoadClient(["-c", path], _ => null));
        Assert.StartsWith($"-c {path}: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"mtu\": \"1350\"}", "line 1, column 2: \"mtu\" must be an integer, got a string")]
    [InlineData("{\"mtu\": 1350.0}", "\"mtu\" must be an integer, got 1350.0")]
    [InlineData("{\"mtu\": 1e3}", "\"mtu\" must be an integer, got 1e3")]
    [InlineData("{\"mtu\": 99999999999}", "\"mtu\" is out of range: 99999999999")]
    [InlineData("{\n \"nocomp\": 1}", "line 2, column 2: \"nocomp\" must be true or false, got a number")]
    [InlineData("{\"key\": 5}", "\"key\" must be a string, got a number")]
    public void Wrongly_typed_values_are_refused(string json, string expected)
    {
        var e = Assert.Throws<TunnelConfigurationException>(() => Apply(json));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_file_is_a_clear_error()
    {
        var path = Path.Combine(_directory, "missing.json");
        var e = Assert.Throws<TunnelConfigurationException>(() => TunnelConfiguration.LoadClient(["-c", path], _ => null));
        Assert.StartsWith($"-c {path}: cannot read the config file", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Environment_key_replaces_the_default_but_not_the_command_line_or_json()
    {
        var environment = ProgramRunner.Environment(new Dictionary<string, string> { ["KCPTUN_KEY"] = "envkey" });
        Assert.Equal("envkey", TunnelConfiguration.LoadClient([], environment).Options.Key);
        Assert.Equal("envkey", TunnelConfiguration.LoadServer([], environment).Options.Key);
        Assert.Equal("cli", TunnelConfiguration.LoadClient(["--key", "cli"], environment).Options.Key);
        Assert.Equal("json", TunnelConfiguration.LoadClient(["--key", "cli", "-c", Write("{\"key\":\"json\"}")], environment).Options.Key);
        Assert.Equal(TunnelOptions.DefaultKey, TunnelConfiguration.LoadClient([], _ => null).Options.Key);
    }

    private ClientOptions Apply(string json) => JsonConfigFile.Apply(TunnelFlags.Client, "t.json", Encoding.UTF8.GetBytes(json), new ClientOptions());

    private string Write(string json)
    {
        var path = Path.Combine(_directory, $"{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }
}
