using System.Diagnostics;
using Kcptun.Tests.Support;
using Xunit.Abstractions;

namespace Kcptun.Interop.Tests.Reliability;

/// <summary>
/// Issue 16, reliability suite: a restarted client (a new process: new UDP port, new conversation) works at once
/// against our server and both Go generations; the server takes the new session while the old one lingers.
/// </summary>
public sealed class ClientRestartTests(ITestOutputHelper output)
{
    public static TheoryData<string> Servers => new(ReliabilityRig.AvailableServers());

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task A_restarted_client_echoes_within_a_second(string server)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        await using var target = new EchoTarget();
        await using var rig = await ReliabilityRig.StartAsync(server, target.Address, relay: false, ct);
        Assert.True(await rig.EchoAsync(65536, TimeSpan.FromSeconds(10), ct), "no echo before the restart");

        var clock = Stopwatch.StartNew();
        await rig.RestartClientAsync(ct);
        var first = await rig.TimeUntilEchoAsync(TimeSpan.FromSeconds(5), ct);
        output.WriteLine($"server {server}: the restarted client listened after {(clock.Elapsed - first).TotalSeconds:0.00} s and echoed {first.TotalSeconds:0.00} s later");
        Assert.True(first < TimeSpan.FromSeconds(1), $"took {first}");
        Assert.True(await rig.EchoAsync(65536, TimeSpan.FromSeconds(10), ct), "a second connection after the restart did not echo");
    }
}
