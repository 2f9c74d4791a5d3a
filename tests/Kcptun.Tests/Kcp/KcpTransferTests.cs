namespace Kcptun.Tests.Kcp;

public class KcpTransferTests
{
    [Theory]
    [InlineData("fast", 0.0)]
    [InlineData("fast", 0.05)]
    [InlineData("normal", 0.2)]
    public void Stream_arrives_intact_and_in_order(string mode, double loss)
    {
        var link = new SimulatedLink(seed: 1) { Loss = loss, Duplication = 0.01, Jitter = 10 };
        link.Configure(mode, 1024, 1024);
        var transfer = new StreamTransfer(link, 4 << 20, seed: 2);
        Assert.True(transfer.Run(limit: 600_000), $"read {transfer.Read}, corrupt {transfer.Corrupt}, t={link.Now}");
    }
}
