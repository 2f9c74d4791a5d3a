using System.Net;
using System.Net.Sockets;
using Kcptun.EndToEnd.Emulation;
using Kcptun.EndToEnd.Tunnel;
using Kcptun.EndToEnd.Workload;

namespace Kcptun.EndToEnd.Runner;

/// <summary>Runs one scenario once with one pairing: target, server, emulator, client; measures; tears down.</summary>
public sealed class ScenarioRunner
{
    private const double GiB = 1024.0 * 1024 * 1024;
    private const double MiB = 1024.0 * 1024;

    /// <summary>Flags every run passes to both ends (the smux version is explicit: Debian's Go defaults to 1, ours to 2).</summary>
    public IReadOnlyList<string> CommonFlags { get; init; } = ["--key", "kcptun-bench", "--smuxver", "2", "--quiet"];

    /// <summary>Progress lines go here.</summary>
    public TextWriter Progress { get; init; } = Console.Error;

    /// <summary>Runs <paramref name="scenario"/> with <paramref name="pair"/>; never throws for a tunnel failure.</summary>
    public async Task<RunResult> RunAsync(Scenario scenario, Pairing pair, int run, int seed)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(pair);
        var errors = new List<string>();
        var result = new RunResult
        {
            Scenario = scenario.Name, Pair = pair.Label, Run = run, Seed = seed, RttMs = scenario.RttMs,
            LossPercent = scenario.LossPercent, Mode = scenario.Mode,
        };
        await using var target = TargetServer.Start();
        var serverPort = FreePort(SocketType.Dgram);
        var clientPort = FreePort(SocketType.Stream);
        using var server = TunnelProcess.Start(pair.Server.ServerPath,
            [.. CommonFlags, .. scenario.Flags, "-l", $"127.0.0.1:{serverPort}", "-t", target.EndPoint.ToString()]);
        using var emulator = scenario.Link is { } link
            ? LinkEmulator.Start(new IPEndPoint(IPAddress.Loopback, serverPort), link, link, seed)
            : null;
        var remote = emulator?.FrontEndPoint ?? new IPEndPoint(IPAddress.Loopback, serverPort);
        using var client = TunnelProcess.Start(pair.Client.ClientPath,
            [.. CommonFlags, .. scenario.Flags, "-l", $"127.0.0.1:{clientPort}", "-r", remote.ToString()]);
        var tunnel = new IPEndPoint(IPAddress.Loopback, clientPort);

        if (!await Workloads.WaitReadyAsync(tunnel, TimeSpan.FromSeconds(20), () => client.HasExited || server.HasExited)
                .ConfigureAwait(false))
        {
            var exited = client.HasExited ? " (client exited)" : server.HasExited ? " (server exited)" : "";
            errors.Add($"tunnel never came up{exited}; client log: {Tail(client.Log)} server log: {Tail(server.Log)}");
            return result with { Errors = errors };
        }

        // Steady state, not start-up: a tunnel runs for days, so one short warm-up (discarded) goes first, for Go
        // and ours alike. Without it a JIT build's first-call compilation lands in the CPU, p99 and max figures.
        await WarmUpAsync(tunnel, scenario).ConfigureAwait(false);

        if (scenario.Kind == ScenarioKind.Connections)
        {
            var conns = await Workloads.ConnectionsAsync(tunnel, scenario.Connections, scenario.Limit).ConfigureAwait(false);
            if (conns.Error is not null)
            {
                errors.Add("connections: " + conns.Error);
            }

            result = result with
            {
                ConnectionsPerSecond = conns.PerSecond,
                ConnectP50Ms = Statistics.Percentile(conns.Milliseconds, 50),
                ConnectP99Ms = Statistics.Percentile(conns.Milliseconds, 99),
            };
        }
        else
        {
            var clientCpu0 = client.CpuSeconds();
            var serverCpu0 = server.CpuSeconds();
            var bulk1 = await Workloads.BulkAsync(tunnel, 1, scenario.BulkBytes, scenario.Limit).ConfigureAwait(false);
            var bulk8 = await Workloads.BulkAsync(tunnel, 8, scenario.ParallelBytes, scenario.Limit).ConfigureAwait(false);
            var moved = (bulk1.Error is null ? bulk1.Bytes : 0) + (bulk8.Error is null ? bulk8.Bytes : 0);
            var clientCpu = client.CpuSeconds() - clientCpu0;
            var serverCpu = server.CpuSeconds() - serverCpu0;
            if (bulk1.Error is not null)
            {
                errors.Add("bulk1: " + bulk1.Error);
            }

            if (bulk8.Error is not null)
            {
                errors.Add("bulk8: " + bulk8.Error);
            }

            var download = await MeasureDownloadAsync(scenario, tunnel, client, server).ConfigureAwait(false);
            if (download.Error is not null)
            {
                errors.Add("download: " + download.Error);
            }

            var latency = await Workloads.LatencyAsync(tunnel, scenario.LatencyRequests, 64, scenario.Limit).ConfigureAwait(false);
            if (latency.Error is not null)
            {
                errors.Add("latency: " + latency.Error);
            }

            var complete = latency.Error is null;
            result = result with
            {
                Bulk1MBps = bulk1.MegabytesPerSecond,
                Bulk8MBps = bulk8.MegabytesPerSecond,
                ClientCpuPerGiB = moved > 0 && bulk1.Error is null && bulk8.Error is null ? clientCpu / (moved / GiB) : double.NaN,
                ServerCpuPerGiB = moved > 0 && bulk1.Error is null && bulk8.Error is null ? serverCpu / (moved / GiB) : double.NaN,
                Download1MBps = download.MBps,
                ClientCpuPerGiBDownload = download.ClientCpuPerGiB,
                ServerCpuPerGiBDownload = download.ServerCpuPerGiB,
                LatencyP50Ms = complete ? Statistics.Percentile(latency.Milliseconds, 50) : double.NaN,
                LatencyP99Ms = complete ? Statistics.Percentile(latency.Milliseconds, 99) : double.NaN,
                LatencyMaxMs = complete ? Statistics.Percentile(latency.Milliseconds, 100) : double.NaN,
            };
        }

        if (client.HasExited || server.HasExited)
        {
            errors.Add($"a tunnel process exited early; client log: {Tail(client.Log)} server log: {Tail(server.Log)}");
        }

        // Peak RSS first: a program without a SIGUSR1 handler dies of the signal.
        var clientRss = client.PeakRssBytes() / MiB;
        var serverRss = server.PeakRssBytes() / MiB;
        var clientSnmp = await client.SnmpAsync(TimeSpan.FromSeconds(3)).ConfigureAwait(false);
        var serverSnmp = await server.SnmpAsync(TimeSpan.FromSeconds(3)).ConfigureAwait(false);

        return result with
        {
            ClientPeakRssMiB = clientRss,
            ServerPeakRssMiB = serverRss,
            ClientSnmp = clientSnmp,
            ServerSnmp = serverSnmp,
            LinkUp = emulator is null ? null : Counters(emulator.Up),
            LinkDown = emulator is null ? null : Counters(emulator.Down),
            Errors = errors,
        };
    }

    /// <summary>The single-stream download of <paramref name="scenario"/> with the CPU both ends spent on it.</summary>
    private static async Task<(double MBps, double ClientCpuPerGiB, double ServerCpuPerGiB, string? Error)> MeasureDownloadAsync(
        Scenario scenario, IPEndPoint tunnel, TunnelProcess client, TunnelProcess server)
    {
        if (scenario.DownloadBytes <= 0)
        {
            return (double.NaN, double.NaN, double.NaN, null);
        }

        var clientCpu0 = client.CpuSeconds();
        var serverCpu0 = server.CpuSeconds();
        var result = await Workloads.DownloadAsync(tunnel, scenario.DownloadBytes, scenario.Limit).ConfigureAwait(false);
        if (result.Error is not null)
        {
            return (double.NaN, double.NaN, double.NaN, result.Error);
        }

        var gib = result.Bytes / GiB;
        return (result.MegabytesPerSecond, (client.CpuSeconds() - clientCpu0) / gib, (server.CpuSeconds() - serverCpu0) / gib, null);
    }

    /// <summary>A port the system had free a moment ago (kcptun needs explicit ports on its command line).</summary>
    public static int FreePort(SocketType type)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, type,
            type == SocketType.Dgram ? ProtocolType.Udp : ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private static Dictionary<string, long> Counters(LinkStatistics s) => new()
    {
        ["Offered"] = s.Offered,
        ["Delivered"] = s.Delivered,
        ["RandomLoss"] = s.RandomLoss,
        ["BurstLoss"] = s.BurstLoss,
        ["QueueDrops"] = s.QueueDrops,
        ["Reordered"] = s.Reordered,
        ["Duplicated"] = s.Duplicated,
        ["Overflow"] = s.Overflow,
    };

    /// <summary>Exercises every path a measurement takes once: a small bulk, a few echoes, a few short connections.</summary>
    private static async Task WarmUpAsync(IPEndPoint tunnel, Scenario scenario)
    {
        var limit = TimeSpan.FromSeconds(20);
        if (scenario.Kind == ScenarioKind.Connections)
        {
            _ = await Workloads.ConnectionsAsync(tunnel, 20, limit).ConfigureAwait(false);
            return;
        }

        _ = await Workloads.BulkAsync(tunnel, 1, 1L << 20, limit).ConfigureAwait(false);
        _ = await Workloads.BulkAsync(tunnel, 8, 1L << 20, limit).ConfigureAwait(false);
        _ = await Workloads.LatencyAsync(tunnel, 20, 64, limit).ConfigureAwait(false);
    }

    private static string Tail(string log) => log.Length <= 400 ? log.Trim() : "..." + log[^400..].Trim();
}
