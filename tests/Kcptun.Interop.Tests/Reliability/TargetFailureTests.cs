using System.Diagnostics;
using System.Net.Sockets;
using Kcptun.Interop.Tests.Support;
using Xunit.Abstractions;

namespace Kcptun.Interop.Tests.Reliability;

/// <summary>
/// Issue 16, reliability suite: a target that refuses, resets or stalls ends (or holds) only its own connection, at
/// once, and the tunnel keeps serving; against our server and both Go generations, with our client.
/// </summary>
public sealed class TargetFailureTests(ITestOutputHelper output)
{
    public static TheoryData<string> Servers => new(ReliabilityRig.AvailableServers());

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task A_refused_target_ends_the_connection_at_once(string server)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        var closed = LoopbackPorts.Free(SocketType.Stream);
        await using var rig = await ReliabilityRig.StartAsync(server, $"127.0.0.1:{closed}", relay: false, ct);
        for (var i = 0; i < 3; i++)
        {
            var ended = await EndsWithinAsync(rig, TimeSpan.FromSeconds(5), ct);
            output.WriteLine($"server {server}, refused target, connection {i}: ended after {ended.TotalSeconds:0.00} s");
        }
    }

    // Not 20260314: when its dial succeeded and the target then resets, it keeps the client's connection open (its
    // pipe waits for the client's direction to end too); measured: still open after 30 s. Ours and 20210922 end it
    // at once. See docs/reliability.md.
    public static TheoryData<string> ServersThatEndResets => new(ReliabilityRig.AvailableServers().Where(s => s != "20260314"));

    [Theory]
    [MemberData(nameof(ServersThatEndResets))]
    public async Task A_resetting_target_ends_only_its_connection(string server)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        await using var target = new ScriptedTarget(n => n % 2 == 0 ? TargetBehaviour.Reset : TargetBehaviour.Echo);
        await using var rig = await ReliabilityRig.StartAsync(server, target.Address, relay: false, ct);
        for (var i = 0; i < 3; i++)
        {
            var ended = await EndsWithinAsync(rig, TimeSpan.FromSeconds(5), ct);
            Assert.True(await rig.EchoAsync(16384, TimeSpan.FromSeconds(10), ct), $"no echo after reset {i}");
            output.WriteLine($"server {server}, reset {i}: ended after {ended.TotalSeconds:0.00} s, the next connection echoed");
        }
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task A_stalled_target_holds_only_its_connection(string server)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        await using var target = new ScriptedTarget(n => n == 0 ? TargetBehaviour.Stall : TargetBehaviour.Echo);
        await using var rig = await ReliabilityRig.StartAsync(server, target.Address, relay: false, ct);
        await using var stalled = await rig.ConnectAsync(ct);
        // 256 KiB toward a target that never reads: within smux's session buffer, so it must not block the others.
        var push = stalled.WriteAsync(new byte[256 * 1024], ct).AsTask();
        await WaitForAsync(() => target.Accepted >= 1, ct);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 5; i++)
        {
            Assert.True(await rig.EchoAsync(65536, TimeSpan.FromSeconds(10), ct), $"echo {i} failed next to a stalled stream");
        }

        output.WriteLine($"server {server}: 5 echoes of 64 KiB next to a stalled stream in {clock.Elapsed.TotalSeconds:0.00} s");
        stalled.Socket.Close();
        await push.ContinueWith(_ => { }, TaskScheduler.Default);
    }

    // Connects, writes a little and waits for the tunnel to end the connection (EOF or reset).
    private static async Task<TimeSpan> EndsWithinAsync(ReliabilityRig rig, TimeSpan limit, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        await using var stream = await rig.ConnectAsync(ct);
        try
        {
            await stream.WriteAsync("hello"u8.ToArray(), ct);
            var n = await stream.ReadAsync(new byte[16], ct).AsTask().WaitAsync(limit, ct);
            Assert.Equal(0, n);
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            // A reset ends it too.
        }

        Assert.True(clock.Elapsed < limit, $"the connection stayed open {clock.Elapsed}");
        return clock.Elapsed;
    }

    private static async Task WaitForAsync(Func<bool> condition, CancellationToken ct)
    {
        while (!condition())
        {
            await Task.Delay(20, ct);
        }
    }
}
