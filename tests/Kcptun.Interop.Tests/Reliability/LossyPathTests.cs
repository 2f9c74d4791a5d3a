using Kcptun.Tests.Support;
using Xunit.Abstractions;

namespace Kcptun.Interop.Tests.Reliability;

/// <summary>
/// Issue 16: 10% loss each way (a relay in front of the server) is a bad path, not a dead peer: a 10 s transfer
/// completes on the client's one session, against our server and both Go generations, with no spurious reconnect.
/// </summary>
[Collection(TimedRecovery.Name)]
public sealed class LossyPathTests(ITestOutputHelper output)
{
    public static TheoryData<string> Servers => new(ReliabilityRig.AvailableServers());

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task Ten_percent_loss_each_way_keeps_one_session(string server)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var ct = timeout.Token;
        await using var target = new EchoTarget();
        await using var rig = await ReliabilityRig.StartAsync(server, target.Address, port => new PausableUdpRelay(port, loss: 0.10), ct);
        var (bytes, connections) = await BadPathTraffic.RunAsync(rig, TimeSpan.FromSeconds(10), ct);
        output.WriteLine($"server {server}: {bytes / 1024} KiB echoed on one connection and {connections} new connections in 10 s; {rig.Relay!.Lost} datagrams lost");
        Assert.True(rig.Relay.Lost > 50, $"only {rig.Relay.Lost} datagrams lost: the path was not lossy");
        BadPathTraffic.AssertOneSession(rig);
    }
}
