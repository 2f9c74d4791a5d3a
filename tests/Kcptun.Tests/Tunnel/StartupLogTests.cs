using Kcptun.Cli.Configuration;
using Kcptun.Cli.Hosting;


namespace Kcptun.Tests.Tunnel;

public class StartupLogTests
{
    [Fact]
    public void Server_prints_the_QPP_lines_right_after_encryption_as_20260314_does()
    {
        // kcptun-server 20260314: encryption, QPP, QPP Count, nodelay parameters (the f788cbb server printed no QPP lines).
        var lines = StartupLog.Server(new ServerOptions { Qpp = true, QppCount = 7, Crypt = "salsa20" });
        var at = lines.IndexOf("encryption: salsa20");
        Assert.True(at >= 0);
        Assert.Equal(["QPP: true", "QPP Count: 7"], lines.Skip(at + 1).Take(2));
        Assert.StartsWith("nodelay parameters: ", lines[at + 3], StringComparison.Ordinal);
    }

    [Fact]
    public void Client_prints_the_same_QPP_lines_in_the_same_place()
    {
        var lines = StartupLog.Client(new ClientOptions(), "127.0.0.1:1");
        var at = lines.IndexOf("encryption: aes");
        Assert.Equal(["QPP: false", "QPP Count: 61"], lines.Skip(at + 1).Take(2));
    }
}
