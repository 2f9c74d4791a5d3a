using Kcptun.Cli.Configuration;
using Kcptun.Cli.Hosting;
using Kcptun.Kcp.Congestion;
using Kcptun.Tunnel;

namespace Kcptun.Tests.Tunnel;

/// <summary><c>--cc bbr|kcp</c> (issue 11): default bbr, validated, carried to the sessions and logged.</summary>
public class CongestionControlOptionTests
{
    [Fact]
    public void Bbr_is_the_default_on_both_sides()
    {
        Assert.Equal("bbr", new ClientOptions().CongestionControl);
        Assert.Equal(CongestionControl.Bbr, new ServerOptions().CongestionControlKind);
        Assert.Equal(CongestionControl.Bbr, TransportSettings.From(new ClientOptions(), new byte[32], new TunnelLog(TextWriter.Null)).CongestionControl);
    }

    [Fact]
    public void Kcp_selects_the_go_behaviour_for_the_sessions()
    {
        var options = new ServerOptions { CongestionControl = "kcp" };
        options.Validate();
        Assert.Equal(CongestionControl.Kcp, TransportSettings.From(options, new byte[32], new TunnelLog(TextWriter.Null)).CongestionControl);
    }

    [Fact]
    public void Windows_are_large_caps_under_bbr_unless_given_and_go_defaults_under_kcp()
    {
        var log = new TunnelLog(TextWriter.Null);
        var bbr = TransportSettings.From(new ClientOptions(), new byte[32], log);
        Assert.Equal((32768, 32768), (bbr.SendWindow, bbr.ReceiveWindow));

        var given = new ClientOptions();
        CommandLineParser.Parse(TunnelFlags.Client, ["--sndwnd", "4096"], ref given);
        Assert.Equal((4096, 32768), (given.EffectiveSendWindow, given.EffectiveReceiveWindow));

        var kcp = TransportSettings.From(new ServerOptions { CongestionControl = "kcp" }, new byte[32], log);
        Assert.Equal((1024, 1024), (kcp.SendWindow, kcp.ReceiveWindow));
        Assert.Equal((128, 512), (new ClientOptions { CongestionControl = "kcp" }.EffectiveSendWindow, new ClientOptions { CongestionControl = "kcp" }.EffectiveReceiveWindow));
    }

    [Fact]
    public void Fec_is_adaptive_under_bbr_unless_the_shards_are_given()
    {
        var log = new TunnelLog(TextWriter.Null);
        Assert.True(TransportSettings.From(new ClientOptions(), new byte[32], log).AdaptiveFec);
        Assert.False(TransportSettings.From(new ClientOptions { CongestionControl = "kcp" }, new byte[32], log).AdaptiveFec);
        Assert.False(TransportSettings.From(new ClientOptions { DataShards = 0 }, new byte[32], log).AdaptiveFec);

        var given = new ClientOptions();
        CommandLineParser.Parse(TunnelFlags.Client, ["--ps", "3"], ref given);
        Assert.True(given.FecShardsGiven);
        Assert.False(TransportSettings.From(given, new byte[32], log).AdaptiveFec);

        var json = JsonConfigFile.Apply(TunnelFlags.Client, "c.json", "{\"datashard\": 10}"u8, new ClientOptions());
        Assert.False(json.AdaptiveFec);
    }

    [Fact]
    public void Unknown_value_is_a_clear_error()
    {
        var e = Assert.Throws<TunnelConfigurationException>(() => new ClientOptions { CongestionControl = "cubic" }.Validate());
        Assert.Contains("--cc: unknown congestion control \"cubic\"; valid values: bbr, kcp", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Startup_log_and_help_show_it()
    {
        Assert.Contains("cc: bbr (windows used as caps: sndwnd 32768 rcvwnd 32768), fec parity adaptive 0..3", StartupLog.Server(new ServerOptions()));
        Assert.Contains("cc: bbr (windows used as caps: sndwnd 4096 rcvwnd 32768), fec parity adaptive 0..3", StartupLog.Server(new ServerOptions { SendWindow = 4096, SendWindowGiven = true }));
        Assert.Contains("cc: bbr (windows used as caps: sndwnd 32768 rcvwnd 32768)", StartupLog.Server(new ServerOptions { ParityShards = 2, FecShardsGiven = true }));
        Assert.Contains("cc: kcp", StartupLog.Client(new ClientOptions { CongestionControl = "kcp" }, "127.0.0.1:1"));
        Assert.Contains(ClientProgram.Help().Split('\n'), l => l.StartsWith("   --cc value", StringComparison.Ordinal) && l.EndsWith("(default: \"bbr\")", StringComparison.Ordinal));
    }
}
