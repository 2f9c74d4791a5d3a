using System.Text;
using Kcptun.Cli.Configuration;
using Kcptun.Cli.Hosting;

namespace Kcptun.Tests.Tunnel;

/// <summary>
/// The deliberate differences from Go kcptun on bad input (docs/compatibility.md) and the caps on absurd values:
/// each is a clear message and an exit status, never an exception.
/// </summary>
public sealed class ConfigDecisionTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("kcptun-decisions-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void A_utf8_byte_order_mark_is_accepted_where_go_refuses_it()
    {
        var path = Write([0xEF, 0xBB, 0xBF, .. "{\"mtu\": 1300}"u8]);
        Assert.Equal(1300, TunnelConfiguration.LoadClient(["-c", path], _ => null).Options.Mtu);
    }

    [Theory]
    [InlineData("-r 1.2.3.4:1 --remoteaddr 1.2.3.4:2", "Cannot use two forms of the same flag: r remoteaddr")]
    [InlineData("--remoteaddr 1.2.3.4:2 -r 1.2.3.4:1", "Cannot use two forms of the same flag: r remoteaddr")]
    [InlineData("--ds 1 --datashard 2", "Cannot use two forms of the same flag: ds datashard")]
    [InlineData("-h --help", "Cannot use two forms of the same flag: h help")]
    public void Two_forms_of_one_flag_are_refused_as_go_does(string args, string message)
    {
        var result = ProgramRunner.Client(args.Split(' '));
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
        Assert.Contains("GLOBAL OPTIONS:", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void The_same_form_twice_is_not_an_error_and_the_last_wins()
    {
        var loaded = TunnelConfiguration.LoadClient(["-r", "1.2.3.4:1", "-r", "1.2.3.4:2", "--mtu", "1000", "--mtu", "1100"], _ => null);
        Assert.Equal(("1.2.3.4:2", 1100), (loaded.Options.RemoteAddress, loaded.Options.Mtu));
    }

    [Fact]
    public void A_usage_error_exits_2_where_go_exits_0()
    {
        Assert.Equal(2, ExitCodes.Usage);
        Assert.Equal(ExitCodes.Usage, ProgramRunner.Client(["--bogus"]).ExitCode);
        Assert.Equal(ExitCodes.Usage, ProgramRunner.Server(["--mtu", "abc"]).ExitCode);
    }

    [Fact]
    public void A_bad_config_exits_255_as_go_does()
    {
        Assert.Equal(255, ExitCodes.Configuration);
        var result = ProgramRunner.Client(["-c", Path.Combine(_directory, "missing.json")]);
        Assert.Equal(255, result.ExitCode);
        Assert.Contains("missing.json: cannot read the config file", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 0xFF }, "line 1, column 9: \"key\" is not valid text")]
    [InlineData(new byte[] { 0xC0, 0x80 }, "line 1, column 9: \"key\" is not valid text")]
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 }, "line 1, column 9: \"key\" is not valid text")]
    [InlineData(new byte[] { (byte)'\\', (byte)'u', (byte)'d', (byte)'8', (byte)'0', (byte)'0' }, "line 1, column 9: \"key\" is not valid text")]
    [InlineData(new byte[] { (byte)'\\', (byte)'u', (byte)'d', (byte)'c', (byte)'0', (byte)'0', (byte)'x' }, "line 1, column 9: \"key\" is not valid text")]
    public void Invalid_text_in_a_string_value_is_refused_with_its_position(byte[] inside, string message)
    {
        var path = Write([.. "{\"key\": \"a"u8, .. inside, .. "b\"}"u8]);
        var result = ProgramRunner.Client(["-c", path]);
        Assert.Equal(ExitCodes.Configuration, result.ExitCode);
        Assert.True(result.Error.Contains($"-c {path}: {message}", StringComparison.Ordinal), result.Error);
        Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Invalid_text_in_a_key_name_is_refused()
    {
        var path = Write([.. "{\"mt"u8, 0xFF, .. "u\": 1}"u8]);
        var result = ProgramRunner.Server(["-c", path]);
        Assert.Equal(ExitCodes.Configuration, result.ExitCode);
        Assert.Contains("line 1, column 2: a key is not valid text", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Deep_nesting_is_a_json_error()
    {
        var path = Write(Encoding.ASCII.GetBytes("{\"a\":" + new string('[', 100_000) + new string(']', 100_000) + "}"));
        var result = ProgramRunner.Client(["-c", path]);
        Assert.Equal(ExitCodes.Configuration, result.ExitCode);
        Assert.Contains("invalid JSON at line 1", result.Error, StringComparison.Ordinal);
        Assert.Contains("depth", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"conn\": 2147483647}", "--conn must be at most 65535 (got 2147483647")]
    [InlineData("{\"conn\": 2147483648}", "\"conn\" is out of range: 2147483648")]
    [InlineData("{\"snmpperiod\": 2147483647}", "--snmpperiod must be at most 4294967 seconds")]
    [InlineData("{\"closewait\": 4294968}", "--closewait must be at most 4294967 seconds")]
    [InlineData("{\"qpp\": true, \"qpp-count\": 2147483647}", "--QPPCount must be at most 65535 (got 2147483647")]
    [InlineData("{\"mtu\": \"1300\"}", "\"mtu\" must be an integer, got a string")]
    [InlineData("{\"sndwnd\": 1e3}", "\"sndwnd\" must be an integer, got 1e3")]
    public void Absurd_or_mistyped_values_are_refused_clearly(string json, string message)
    {
        var result = ProgramRunner.Client(["-c", Write(Encoding.UTF8.GetBytes(json))]);
        Assert.Equal(ExitCodes.Configuration, result.ExitCode);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_caps_still_allow_their_limits()
    {
        new ClientOptions { Connections = ClientOptions.MaximumConnections, SnmpPeriod = TunnelOptions.MaximumTimerSeconds, CloseWait = TunnelOptions.MaximumTimerSeconds, Qpp = true, QppCount = TunnelOptions.MaximumQppCount }.Validate();
    }

    private string Write(byte[] bytes)
    {
        var path = Path.Combine(_directory, $"{Guid.NewGuid():N}.json");
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
