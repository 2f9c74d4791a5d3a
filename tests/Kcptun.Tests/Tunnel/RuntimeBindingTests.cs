using Kcptun.Cli.Configuration;
using Kcptun.Transport;
using Kcptun.Tunnel;

namespace Kcptun.Tests.Tunnel;

/// <summary>The flags become typed runtime settings once, in one place (issue 15).</summary>
public class RuntimeBindingTests
{
    [Fact]
    public void Client_settings_carry_durations_compression_and_the_smux_version()
    {
        var settings = RuntimeBinding.Client(new ClientOptions
        {
            Connections = 3,
            AutoExpire = 60,
            ScavengeTtl = 5,
            NoCompression = true,
            SmuxVersion = 1,
            KeepAlive = 7,
            CloseWait = 2,
            Quiet = true,
        });

        Assert.Equal(3, settings.Connections);
        Assert.Equal(TimeSpan.FromMinutes(1), settings.AutoExpire);
        Assert.Equal(TimeSpan.FromSeconds(5), settings.ScavengeTtl);
        Assert.False(settings.Compress);
        Assert.Equal(1, settings.Smux.Version);
        Assert.Equal(TimeSpan.FromSeconds(7), settings.Smux.KeepAliveInterval);
        Assert.Equal(TimeSpan.FromSeconds(2), settings.CloseWait);
        Assert.True(settings.Quiet);
        Assert.Null(settings.Pads);
    }

    [Theory]
    [InlineData("bbr", 4194304)]
    [InlineData("kcp", 0)]
    public void Stream_windows_may_grow_to_the_session_budget_under_bbr_only(string cc, int limit)
    {
        var client = RuntimeBinding.Client(new ClientOptions { CongestionControl = cc, SmuxBuffer = 4194304, StreamBuffer = 1048576 });
        var server = RuntimeBinding.Server(new ServerOptions { CongestionControl = cc, SmuxBuffer = 4194304, StreamBuffer = 1048576 });

        Assert.Equal(1048576, client.Smux.MaxStreamBuffer);
        Assert.Equal(limit, client.Smux.StreamWindowLimit);
        Assert.Equal(limit, server.Smux.StreamWindowLimit);
    }

    [Fact]
    public void Server_settings_keep_detection_when_the_flags_are_not_given()
    {
        var settings = RuntimeBinding.Server(new ServerOptions { Qpp = true, QppCount = 3 });

        Assert.Null(settings.NoCompression);
        Assert.Null(settings.SmuxVersion);
        Assert.NotNull(settings.Pads);
        Assert.Equal(new ServerOptions().Target, settings.Target);
    }

    [Fact]
    public void Address_ranges_are_parsed_once_and_errors_are_not_ignored()
    {
        var remote = RuntimeBinding.Remote(new ClientOptions { RemoteAddress = "example.net:4000-4002" });
        Assert.Equal(new HostPortRange("example.net", 4000, 4002), remote);

        var listen = RuntimeBinding.Listen(new ServerOptions { Listen = ":29900" });
        Assert.Equal(1, listen.Count);

        var e = Assert.Throws<TunnelConfigurationException>(() => RuntimeBinding.Remote(new ClientOptions { RemoteAddress = "no-port" }));
        Assert.Contains("--remoteaddr", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(10, 3, true)]
    [InlineData(0, 3, false)]
    [InlineData(10, 0, false)]
    [InlineData(200, 57, false)]
    public void Fec_is_on_by_one_rule(int dataShards, int parityShards, bool on)
    {
        Assert.Equal(on, KcpSessionOptions.IsFecEnabled(dataShards, parityShards));
        Assert.Equal(on, new KcpSessionOptions { DataShards = dataShards, ParityShards = parityShards }.FecEnabled);
    }
}
