using System.Diagnostics;

namespace Kcptun.Interop.Tests.Reliability;

/// <summary>
/// Traffic for the bad-path cases: a bulk echo on one connection for a while, with a new short connection every
/// half second beside it (each one's SYN is data the server must acknowledge), then the checks that the client kept
/// its one session: no "no answer" / "new session" line, one session opened.
/// </summary>
internal static class BadPathTraffic
{
    public static async Task<(long Bytes, int Connections)> RunAsync(ReliabilityRig rig, TimeSpan duration, CancellationToken ct)
    {
        await using var persistent = await rig.ConnectAsync(ct);
        var clock = Stopwatch.StartNew();
        var shortLived = ShortLivedAsync();
        long bytes = 0;
        while (clock.Elapsed < duration)
        {
            Assert.True(await ReliabilityRig.EchoOnAsync(persistent, 32 * 1024, ct), "the bulk echo came back wrong");
            bytes += 32 * 1024;
        }

        return (bytes, await shortLived);

        async Task<int> ShortLivedAsync()
        {
            var count = 0;
            while (clock.Elapsed < duration)
            {
                Assert.True(await rig.EchoAsync(1024, TimeSpan.FromSeconds(30), ct), "a new connection did not echo");
                count++;
                await Task.Delay(500, ct);
            }

            return count;
        }
    }

    public static void AssertOneSession(ReliabilityRig rig)
    {
        var log = rig.ClientLog;
        Assert.DoesNotContain("no answer for", log, StringComparison.Ordinal);
        Assert.DoesNotContain("new connections get a new session", log, StringComparison.Ordinal);
        Assert.Single(log.Split('\n'), l => l.Contains(" on connection: ", StringComparison.Ordinal));
    }
}
