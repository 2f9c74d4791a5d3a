using Kcptun.EndToEnd.Runner;
using Kcptun.EndToEnd.Tunnel;
using Kcptun.EndToEnd.Workload;

namespace Kcptun.Tests.Bench;

// The workloads speak the target's protocol, so pointing them straight at the target (no tunnel) checks both ends.
public class WorkloadTests
{
    [Fact]
    public async Task Bulk_transfers_are_verified_by_the_sink_hash()
    {
        await using var target = TargetServer.Start();
        var one = await Workloads.BulkAsync(target.EndPoint, 1, 3_000_001, TimeSpan.FromSeconds(20));
        var eight = await Workloads.BulkAsync(target.EndPoint, 8, 8L << 20, TimeSpan.FromSeconds(20));
        Assert.Null(one.Error);
        Assert.Null(eight.Error);
        Assert.Equal(3_000_001, one.Bytes);
        Assert.Equal(8L << 20, eight.Bytes);
        Assert.True(one.MegabytesPerSecond > 0);
    }

    [Fact]
    public async Task Download_is_verified_against_the_expected_payload()
    {
        await using var target = TargetServer.Start();
        var down = await Workloads.DownloadAsync(target.EndPoint, 3_000_001, TimeSpan.FromSeconds(20));
        Assert.Null(down.Error);
        Assert.Equal(3_000_001, down.Bytes);
        Assert.True(down.MegabytesPerSecond > 0);
    }

    [Fact]
    public void Cpu_bound_scenarios_measure_a_download_in_both_sets()
    {
        foreach (var set in new[] { ScenarioCatalog.Full(), ScenarioCatalog.Quick() })
        {
            var plain = Assert.Single(set, s => s.Name == "loopback-fast3-plain-cpu");
            Assert.Contains("none", plain.Flags);
            Assert.Contains("--nocomp", plain.Flags);
            Assert.True(plain.DownloadBytes > 0);
            Assert.True(Assert.Single(set, s => s.Name == "loopback-fast3-cpu").DownloadBytes > 0);
        }
    }

    [Fact]
    public async Task Latency_and_connection_tests_get_their_echoes()
    {
        await using var target = TargetServer.Start();
        var latency = await Workloads.LatencyAsync(target.EndPoint, 50, 64, TimeSpan.FromSeconds(20));
        Assert.Null(latency.Error);
        Assert.Equal(50, latency.Milliseconds.Length);
        var conns = await Workloads.ConnectionsAsync(target.EndPoint, 64, TimeSpan.FromSeconds(20));
        Assert.Null(conns.Error);
        Assert.Equal(64, conns.Succeeded);
        Assert.True(await Workloads.WaitReadyAsync(target.EndPoint, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Nothing_listening_fails_fast_instead_of_hanging()
    {
        var port = Kcptun.EndToEnd.Runner.ScenarioRunner.FreePort(System.Net.Sockets.SocketType.Stream);
        var endPoint = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port);
        var bulk = await Workloads.BulkAsync(endPoint, 2, 1 << 20, TimeSpan.FromSeconds(5));
        Assert.NotNull(bulk.Error);
        Assert.True(double.IsNaN(bulk.MegabytesPerSecond));
        Assert.False(await Workloads.WaitReadyAsync(endPoint, TimeSpan.FromSeconds(10), gaveUp: () => true));
    }
}

public class TunnelProcessTests
{
    [Fact]
    public void Dispose_kills_the_started_process_by_pid()
    {
        var process = TunnelProcess.Start("/bin/sleep", ["30"]);
        var pid = process.Pid;
        Assert.True(Directory.Exists($"/proc/{pid}"));
        Assert.False(double.IsNaN(process.CpuSeconds()));
        process.Dispose();
        Assert.True(!Directory.Exists($"/proc/{pid}") || File.ReadAllText($"/proc/{pid}/stat").Contains(") Z", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Go_server_answers_sigusr1_with_a_parsable_snmp_dump()
    {
        Assert.True(File.Exists("/usr/bin/kcptun-server"), "the Go kcptun is installed by .ci/run (apt-get install kcptun)");
        var port = Kcptun.EndToEnd.Runner.ScenarioRunner.FreePort(System.Net.Sockets.SocketType.Dgram);
        using var server = TunnelProcess.Start("/usr/bin/kcptun-server", ["-l", $"127.0.0.1:{port}", "-t", "127.0.0.1:9", "--quiet"]);
        // SIGUSR1 before the handler is installed would end the process: wait for the start-up log first.
        Assert.True(await server.WaitForLogAsync("key derivation done", TimeSpan.FromSeconds(20)), server.Log);
        var snmp = await server.SnmpAsync(TimeSpan.FromSeconds(10));

        Assert.NotNull(snmp);
        Assert.Equal(0, snmp["CurrEstab"]);
        Assert.True(snmp.ContainsKey("FECRecovered"));
        Assert.True(server.PeakRssBytes() > 1 << 20);
    }
}
