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
    public void Unknown_value_is_a_clear_error()
    {
        var e = Assert.Throws<TunnelConfigurationException>(() => new ClientOptions { CongestionControl = "cubic" }.Validate());
        Assert.Contains("--cc: unknown congestion control \"cubic\"; valid values: bbr, kcp", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Startup_log_and_help_show_it()
    {
        Assert.Contains("cc: bbr", StartupLog.Server(new ServerOptions()));
        Assert.Contains("cc: kcp", StartupLog.Client(new ClientOptions { CongestionControl = "kcp" }, "127.0.0.1:1"));
        Assert.Contains(TunnelProgram.ClientHelp().Split('\n'), l => l.StartsWith("   --cc value", StringComparison.Ordinal) && l.EndsWith("(default: \"bbr\")", StringComparison.Ordinal));
    }
}
