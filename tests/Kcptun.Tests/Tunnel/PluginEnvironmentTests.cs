using Kcptun.Cli.Configuration;
using Kcptun.Cli.Hosting;


namespace Kcptun.Tests.Tunnel;

public class PluginEnvironmentTests
{
    [Theory]
    [InlineData("", new string[0])]
    [InlineData("nocomp", new[] { "nocomp=1" })]
    [InlineData("crypt=none;mode=fast2", new[] { "crypt=none", "mode=fast2" })]
    [InlineData("key=a\\;b\\=c\\\\d;mtu=1200", new[] { "key=a;b=c\\d", "mtu=1200" })]
    [InlineData(";;nocomp;;key=x=y;", new[] { "nocomp=1", "key=x=y" })]
    [InlineData("key=", new[] { "key=" })]
    public void Options_split_with_escapes_and_bare_keys(string text, string[] expected)
    {
        var pairs = PluginEnvironment.ParseOptions(text).Select(p => $"{p.Key}={p.Value}").ToArray();
        Assert.Equal(expected, pairs);
    }

    [Fact]
    public void Client_takes_addresses_and_options_from_the_environment_after_json_and_cli()
    {
        var environment = new Dictionary<string, string>
        {
            ["SS_REMOTE_HOST"] = "2001:db8::1",
            ["SS_REMOTE_PORT"] = "4000",
            ["SS_LOCAL_HOST"] = "127.0.0.1",
            ["SS_LOCAL_PORT"] = "8388",
            ["SS_PLUGIN_OPTIONS"] = "nocomp;mode=fast2;key=p\\;w;QPPCount=13;qpp-count=17",
        };
        var loaded = TunnelConfiguration.LoadClient(["--mode", "fast3", "-r", "1.2.3.4:1", "--key", "cli"], ProgramRunner.Environment(environment));
        var o = loaded.Options;
        Assert.Equal(("[2001:db8::1]:4000", "127.0.0.1:8388"), (o.RemoteAddress, o.LocalAddress));
        Assert.Equal((true, "fast2", "p;w", 17), (o.NoCompression, o.Mode, o.Key, o.QppCount));
    }

    [Fact]
    public void Server_listens_on_the_remote_side_and_targets_the_local_side()
    {
        var environment = new Dictionary<string, string>
        {
            ["SS_REMOTE_HOST"] = "::",
            ["SS_REMOTE_PORT"] = "4000",
            ["SS_LOCAL_HOST"] = "127.0.0.1",
            ["SS_LOCAL_PORT"] = "8388",
            ["SS_PLUGIN_OPTIONS"] = "crypt=salsa20;smuxver=1",
        };
        var o = TunnelConfiguration.LoadServer([], ProgramRunner.Environment(environment)).Options;
        Assert.Equal(("[::]:4000", "127.0.0.1:8388", "salsa20", (int?)1), (o.Listen, o.Target, o.Crypt, o.SmuxVersion));
    }

    [Fact]
    public void Plugin_mode_needs_all_three_variables()
    {
        var environment = new Dictionary<string, string> { ["SS_REMOTE_HOST"] = "1.2.3.4", ["SS_REMOTE_PORT"] = "1", ["SS_PLUGIN_OPTIONS"] = "mtu=1000" };
        var o = TunnelConfiguration.LoadClient([], ProgramRunner.Environment(environment)).Options;
        Assert.Equal(new ClientOptions(), o);
    }

    [Theory]
    [InlineData("mtu=abc", "SS_PLUGIN_OPTIONS: invalid value \"abc\" for mtu: parse error")]
    [InlineData("nocomp=maybe", "SS_PLUGIN_OPTIONS: invalid value \"maybe\" for nocomp: parse error")]
    [InlineData("bogus=1", "SS_PLUGIN_OPTIONS: unknown option \"bogus\"")]
    public void Bad_plugin_options_exit_non_zero_with_a_message(string options, string message)
    {
        var environment = new Dictionary<string, string>
        {
            ["SS_REMOTE_HOST"] = "127.0.0.1",
            ["SS_REMOTE_PORT"] = "4000",
            ["SS_LOCAL_HOST"] = "127.0.0.1",
            ["SS_LOCAL_PORT"] = "0",
            ["SS_PLUGIN_OPTIONS"] = options,
        };
        var result = ProgramRunner.Client([], environment);
        Assert.Equal(ExitCodes.Configuration, result.ExitCode);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
    }
}
