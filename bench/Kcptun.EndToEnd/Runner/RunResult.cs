namespace Kcptun.EndToEnd.Runner;

/// <summary>Everything measured in one run of one scenario with one pairing (one JSON line).</summary>
public sealed record RunResult
{
    /// <summary>Scenario name.</summary>
    public required string Scenario { get; init; }
    /// <summary>Pairing label <c>client:server</c>.</summary>
    public required string Pair { get; init; }
    /// <summary>Run index (0-based).</summary>
    public int Run { get; init; }
    /// <summary>Emulator seed of this run (the same for every pairing of the run).</summary>
    public int Seed { get; init; }
    /// <summary>RTT of the emulated link in ms (0 = plain loopback).</summary>
    public double RttMs { get; init; }
    /// <summary>Loss percent per direction of the emulated link.</summary>
    public double LossPercent { get; init; }
    /// <summary>The scenario's <c>--mode</c>.</summary>
    public string Mode { get; init; } = "fast";
    /// <summary>Single-stream bulk throughput, MB/s.</summary>
    public double Bulk1MBps { get; init; } = double.NaN;
    /// <summary>8-stream bulk throughput, MB/s.</summary>
    public double Bulk8MBps { get; init; } = double.NaN;
    /// <summary>Single-stream download throughput (target sends, client reads), MB/s; NaN when not measured.</summary>
    public double Download1MBps { get; init; } = double.NaN;
    /// <summary>Request/response latency percentiles, ms.</summary>
    public double LatencyP50Ms { get; init; } = double.NaN;
    /// <summary>99th percentile latency, ms.</summary>
    public double LatencyP99Ms { get; init; } = double.NaN;
    /// <summary>Worst latency, ms.</summary>
    public double LatencyMaxMs { get; init; } = double.NaN;
    /// <summary>Client CPU seconds (user+sys) per GiB moved in the bulk uploads (1 and 8 streams).</summary>
    public double ClientCpuPerGiB { get; init; } = double.NaN;
    /// <summary>Server CPU seconds per GiB.</summary>
    public double ServerCpuPerGiB { get; init; } = double.NaN;
    /// <summary>Client CPU seconds per GiB of the single-stream download.</summary>
    public double ClientCpuPerGiBDownload { get; init; } = double.NaN;
    /// <summary>Server CPU seconds per GiB of the single-stream download.</summary>
    public double ServerCpuPerGiBDownload { get; init; } = double.NaN;
    /// <summary>Client peak RSS (VmHWM), MiB.</summary>
    public double ClientPeakRssMiB { get; init; } = double.NaN;
    /// <summary>Server peak RSS, MiB.</summary>
    public double ServerPeakRssMiB { get; init; } = double.NaN;
    /// <summary>Connections completed per second (connections scenario).</summary>
    public double ConnectionsPerSecond { get; init; } = double.NaN;
    /// <summary>Median connect + first echo, ms (connections scenario).</summary>
    public double ConnectP50Ms { get; init; } = double.NaN;
    /// <summary>99th percentile connect + first echo, ms.</summary>
    public double ConnectP99Ms { get; init; } = double.NaN;
    /// <summary>Failures of this run, empty when none.</summary>
    public IReadOnlyList<string> Errors { get; init; } = [];
    /// <summary>Client SNMP counters at the end of the run (SIGUSR1 dump).</summary>
    public IReadOnlyDictionary<string, long>? ClientSnmp { get; init; }
    /// <summary>Server SNMP counters at the end of the run.</summary>
    public IReadOnlyDictionary<string, long>? ServerSnmp { get; init; }
    /// <summary>Emulator counters client-to-server, when a link was emulated.</summary>
    public IReadOnlyDictionary<string, long>? LinkUp { get; init; }
    /// <summary>Emulator counters server-to-client.</summary>
    public IReadOnlyDictionary<string, long>? LinkDown { get; init; }
}
