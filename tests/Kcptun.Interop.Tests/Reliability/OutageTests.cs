using Kcptun.Tests.Support;
using Xunit.Abstractions;

namespace Kcptun.Interop.Tests.Reliability;

/// <summary>
/// Issue 16, reliability suite: a network outage (a paused UDP relay) longer than the client's silence limit, against
/// our server and both Go generations. The client gives new connections a new session while the path is down (the
/// server is silent for more than 3 s), yet the connection open across the outage survives it, and once the path is
/// back new connections work at once. Timed (the silence is noticed within SessionWatch's 10 s ceiling, the path back
/// within 5 s), so it runs apart from the tests that load the machine.
/// </summary>
[Collection(TimedRecovery.Name)]
public sealed class OutageTests(ITestOutputHelper output)
{
    public static TheoryData<string> Servers => new(ReliabilityRig.AvailableServers());

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task A_connection_open_across_an_outage_survives_and_new_ones_work_after_it(string server)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var ct = timeout.Token;
        await using var target = new EchoTarget();
        await using var rig = await ReliabilityRig.StartAsync(server, target.Address, relay: true, ct);
        await using var persistent = await rig.ConnectAsync(ct);
        Assert.True(await ReliabilityRig.EchoOnAsync(persistent, 1024, ct), "no echo before the outage");

        rig.Relay!.Paused = true;
        // Data waits for an answer across the outage; the client notices the silence and moves new connections on.
        var across = ReliabilityRig.EchoOnAsync(persistent, 1024, ct);
        await WaitForAsync(() => rig.ClientLog.Contains("no answer for", StringComparison.Ordinal), TimeSpan.FromSeconds(15), ct);
        Assert.False(across.IsCompleted);
        Assert.False(await rig.EchoAsync(1024, TimeSpan.FromSeconds(1), ct), "an echo passed a paused relay");
        rig.Relay.Paused = false;

        var back = await rig.TimeUntilEchoAsync(TimeSpan.FromSeconds(2), ct);
        Assert.True(await across.WaitAsync(TimeSpan.FromSeconds(30), ct), "the connection open across the outage lost data");
        Assert.True(await ReliabilityRig.EchoOnAsync(persistent, 65536, ct), "the connection open across the outage does not work after it");
        output.WriteLine($"server {server}: {rig.Relay.Dropped} datagrams dropped; a new connection echoed {back.TotalSeconds:0.00} s after the path came back");
        Assert.True(back < TimeSpan.FromSeconds(5), $"took {back}");
    }

    private static async Task WaitForAsync(Func<bool> condition, TimeSpan limit, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + limit;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"condition not met in {limit}");
            await Task.Delay(50, ct);
        }
    }
}
