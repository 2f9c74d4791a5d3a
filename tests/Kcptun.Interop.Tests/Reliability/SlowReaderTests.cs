using System.Diagnostics;
using Kcptun.Tests.Support;
using Xunit.Abstractions;

namespace Kcptun.Interop.Tests.Reliability;

/// <summary>
/// Issue 16, reliability suite: with smux v2 a connection whose local end never reads holds back only its own stream
/// (per-stream windows), against our server and both Go generations: 64 MiB pushed into it, of which at most the
/// windows and socket buffers move, while 5 x 64 KiB echoes on other connections pass next to it.
/// </summary>
public sealed class SlowReaderTests(ITestOutputHelper output)
{
    public static TheoryData<string> Servers => new(ReliabilityRig.AvailableServers());

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task A_reader_that_never_reads_does_not_stall_other_streams(string server)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        await using var target = new EchoTarget();
        await using var rig = await ReliabilityRig.StartSmuxV2Async(server, target.Address, ct);
        await using var stalled = await rig.ConnectAsync(ct);
        var payload = new byte[64 << 20];
        using var stopPushing = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var push = stalled.WriteAsync(payload, stopPushing.Token).AsTask();
        await Task.Delay(1000, ct);
        Assert.False(push.IsCompleted, "64 MiB went through a connection nobody reads: no back-pressure to measure");

        var clock = Stopwatch.StartNew();
        var echoes = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => rig.EchoAsync(65536, TimeSpan.FromSeconds(10), ct)));
        output.WriteLine($"server {server}: 5 x 64 KiB echoed in {clock.Elapsed.TotalSeconds:0.00} s next to a stalled reader");
        Assert.All(echoes, Assert.True);
        Assert.False(push.IsCompleted, "the stalled connection's push completed: it was read after all");
        await stopPushing.CancelAsync();
        await push.ContinueWith(_ => { }, CancellationToken.None);
    }
}
