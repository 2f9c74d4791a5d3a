using Kcptun.Smux;

namespace Kcptun.Tests.Smux;

public class SmuxConfigTests
{
    [Fact]
    public void Defaults_are_smux_defaults_and_valid()
    {
        var config = new SmuxConfig();
        config.Validate();
        Assert.Equal(1, config.Version);
        Assert.Equal(TimeSpan.FromSeconds(10), config.KeepAliveInterval);
        Assert.Equal(TimeSpan.FromSeconds(30), config.KeepAliveTimeout);
        Assert.Equal(32768, config.MaxFrameSize);
        Assert.Equal(4194304, config.MaxReceiveBuffer);
        Assert.Equal(65536, config.MaxStreamBuffer);
    }

    public static TheoryData<SmuxConfig, string> Invalid => new()
    {
        { new SmuxConfig { Version = 3 }, "unsupported protocol version" },
        { new SmuxConfig { KeepAliveInterval = TimeSpan.Zero }, "keep-alive interval must be positive" },
        { new SmuxConfig { KeepAliveInterval = TimeSpan.FromSeconds(31) }, "keep-alive timeout must be larger than keep-alive interval" },
        { new SmuxConfig { MaxFrameSize = 0 }, "max frame size must be positive" },
        { new SmuxConfig { MaxFrameSize = 65536 }, "max frame size must not be larger than 65535" },
        { new SmuxConfig { MaxReceiveBuffer = 0 }, "max receive buffer must be positive" },
        { new SmuxConfig { MaxStreamBuffer = 0 }, "max stream buffer must be positive" },
        { new SmuxConfig { MaxStreamBuffer = 8388608 }, "max stream buffer must not be larger than max receive buffer" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Validate_rejects_with_smux_wording(SmuxConfig config, string message)
    {
        var error = Assert.Throws<ArgumentException>(config.Validate);
        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Disabled_keepalive_skips_the_interval_checks()
    {
        new SmuxConfig { KeepAliveDisabled = true, KeepAliveInterval = TimeSpan.Zero }.Validate();
    }

    [Fact]
    public void Session_constructor_validates()
    {
        var (left, _) = DuplexPipeStream.CreatePair();
        Assert.Throws<ArgumentException>(() => new SmuxSession(left, new SmuxConfig { Version = 0 }, isClient: true));
    }
}
