namespace Kcptun.Tests.Kcp;

/// <summary>
/// 32 MiB through two control blocks on the seeded lossy link (drop, 1% duplication, 0–10 ms jitter that reorders),
/// for every kcptun mode at 0, 5 and 20% loss, with kcptun's server windows (1024/1024) and MTU 1350.
/// </summary>
public class KcpTransferTests
{
    private const long Size = 32L << 20;

    [Theory]
    [InlineData("normal", 0.0)]
    [InlineData("normal", 0.05)]
    [InlineData("normal", 0.2)]
    [InlineData("fast", 0.0)]
    [InlineData("fast", 0.05)]
    [InlineData("fast", 0.2)]
    [InlineData("fast2", 0.0)]
    [InlineData("fast2", 0.05)]
    [InlineData("fast2", 0.2)]
    [InlineData("fast3", 0.0)]
    [InlineData("fast3", 0.05)]
    [InlineData("fast3", 0.2)]
    public void Stream_of_32_MiB_arrives_intact_and_in_order(string mode, double loss)
    {
        var link = new SimulatedLink(seed: mode.Length + (int)(loss * 100)) { Loss = loss, Duplication = 0.01, Jitter = 10 };
        link.Configure(mode, 1024, 1024);
        var transfer = new StreamTransfer(link, Size, seed: 2);
        Assert.True(transfer.Run(limit: 3_600_000), $"read {transfer.Read} of {Size}, corrupt at {transfer.FirstCorruptOffset} (pattern {transfer.FirstCorruptOffset % 65521}, bytes from {transfer.SourceOfCorruptBytes}), t={link.Now} ms");
        Assert.Equal(Size, transfer.Read);
        if (loss > 0)
        {
            Assert.True(link.Counters[0].RetransSegs > 0);
        }

        Assert.True(link.Counters[1].RepeatSegs > 0); // duplicates were seen and dropped
    }

    [Theory]
    [InlineData(0.05)]
    [InlineData(0.2)]
    public void Stream_arrives_with_congestion_control_on(double loss)
    {
        var link = new SimulatedLink(seed: 9) { Loss = loss, Duplication = 0.01, Jitter = 10 };
        link.Configure("fast", 1024, 1024);
        foreach (var block in link.Blocks)
        {
            block.FlushOptions = block.FlushOptions with { UseCongestionWindow = true };
        }

        var transfer = new StreamTransfer(link, 4L << 20, seed: 3);
        Assert.True(transfer.Run(limit: 3_600_000), $"read {transfer.Read}, corrupt {transfer.Corrupt}, t={link.Now} ms");
    }

    [Fact]
    public void Small_reads_and_tiny_writes_keep_the_stream_intact()
    {
        var link = new SimulatedLink(seed: 21) { Loss = 0.1, Duplication = 0.05, Jitter = 40 };
        link.Configure("fast3", 128, 512);
        var transfer = new StreamTransfer(link, 1L << 20, seed: 4, maxWrite: 300, readBuffer: 777);
        Assert.True(transfer.Run(limit: 3_600_000), $"read {transfer.Read}, corrupt {transfer.Corrupt}, t={link.Now} ms");
    }
}
