using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Kcptun.Crypto;
using Kcptun.Transport;

namespace Kcptun.Benchmarks.Transport;

/// <summary>
/// End-to-end figure, not a micro benchmark: one KCP session on loopback carries 256 MiB one way (override with
/// KCPTUN_E2E_MIB), ours (<see cref="KcpSession"/> to <see cref="KcpListener"/>, both in this process) next to the
/// Go binaries (TCP into kcptun-client, through kcptun-server to a TCP sink in this process) with the same flags.
/// Every run prints "e2e: ..." lines with MB/s and CPU seconds (this process for ours; the two Go processes for Go,
/// excluding our TCP source and sink). Run:
/// <c>dotnet run -c Release --project bench/Kcptun.Benchmarks -- --filter '*TransportEndToEnd*'</c>
/// </summary>
[Config(typeof(OneShotInProcess))]
public class TransportEndToEndBenchmarks
{
    /// <summary>One measured run per case, in this process (no generated project to build; the transfer is the work).</summary>
    private sealed class OneShotInProcess : ManualConfig
    {
        public OneShotInProcess() => AddJob(Job.Dry.WithToolchain(InProcessEmitToolchain.Instance)
            .WithStrategy(RunStrategy.Monitoring).WithLaunchCount(1).WithWarmupCount(0).WithIterationCount(1));
    }

    private const string Key = "bench key";
    private static readonly long Size = 1024L * 1024 * (long.TryParse(Environment.GetEnvironmentVariable("KCPTUN_E2E_MIB"), out long mib) ? mib : 256);

    /// <summary>crypt / FEC: "none" = --crypt none -ds 0 -ps 0; "aes-fec" = --crypt aes -ds 10 -ps 3 (the defaults).</summary>
    [Params("none", "aes-fec")]
    public string Link { get; set; } = "none";

    /// <summary>"fast" = kcptun defaults (mode fast, client windows 128/512, server 1024/1024); "fast3-1024" = mode fast3, all windows 1024.</summary>
    [Params("fast", "fast3-1024")]
    public string Profile { get; set; } = "fast";

    private string Crypt => Link == "none" ? "none" : "aes";

    private int Shards(bool data) => Link == "none" ? 0 : data ? 10 : 3;

    [Benchmark]
    public async Task Ours()
    {
        byte[] key = PacketProtection.DeriveKey(Key);
        KcpSessionOptions Options(bool server) => new()
        {
            DataShards = Shards(true),
            ParityShards = Shards(false),
            ProtectionFactory = () => PacketProtection.Create(Crypt, key, WireGeneration.Debian),
            NoDelay = Profile == "fast" ? 0 : 1,
            Interval = Profile == "fast" ? 30 : 10,
            Resend = 2,
            NoCongestionControl = 1,
            SendWindow = Profile == "fast" && !server ? 128 : 1024,
            ReceiveWindow = Profile == "fast" && !server ? 512 : 1024,
        };

        await using KcpListener listener = KcpListener.Start(new IPEndPoint(IPAddress.Loopback, 0), Options(server: true));
        await using KcpSession client = await KcpSession.ConnectAsync(
            new IPEndPoint(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndPoint).Port), Options(server: false));
        var process = Process.GetCurrentProcess();
        TimeSpan cpuBefore = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        Task writer = WriteAllAsync(client);
        await using KcpSession server = await listener.AcceptAsync();
        await DrainAsync(server);
        clock.Stop();
        await writer;
        process.Refresh();
        Report("ours", clock.Elapsed, process.TotalProcessorTime - cpuBefore);
    }

    [Benchmark]
    public async Task Go()
    {
        using var sink = new TcpListener(IPAddress.Loopback, 0);
        sink.Start();
        int udpPort = FreePort(SocketType.Dgram, ProtocolType.Udp);
        int tcpPort = FreePort(SocketType.Stream, ProtocolType.Tcp);
        string[] common =
        [
            "--crypt", Crypt, "--key", Key, "--nocomp", "-ds", $"{Shards(true)}", "-ps", $"{Shards(false)}",
            "--mode", Profile == "fast" ? "fast" : "fast3", "--quiet",
        ];
        string[] windows = Profile == "fast" ? [] : ["--sndwnd", "1024", "--rcvwnd", "1024"];
        using Process server = StartGo("/usr/bin/kcptun-server",
            [.. common, .. windows, "-t", $"127.0.0.1:{((IPEndPoint)sink.LocalEndpoint).Port}", "-l", $"127.0.0.1:{udpPort}"]);
        using Process client = StartGo("/usr/bin/kcptun-client",
            [.. common, .. windows, "-r", $"127.0.0.1:{udpPort}", "-l", $"127.0.0.1:{tcpPort}"]);
        try
        {
            using var source = new TcpClient();
            for (int attempt = 0; !source.Connected; attempt++)
            {
                try
                {
                    await source.ConnectAsync(IPAddress.Loopback, tcpPort);
                }
                catch (SocketException) when (attempt < 100)
                {
                    await Task.Delay(50); // the client binds its TCP port a moment after start
                }
            }

            TimeSpan cpuBefore = CpuOf(server) + CpuOf(client);
            var clock = Stopwatch.StartNew();
            Task writer = WriteAllAsync(source.GetStream());
            using TcpClient target = await sink.AcceptTcpClientAsync();
            await DrainAsync(target.GetStream());
            clock.Stop();
            await writer;
            Report("go", clock.Elapsed, CpuOf(server) + CpuOf(client) - cpuBefore);
        }
        finally
        {
            Kill(client);
            Kill(server);
        }
    }

    private void Report(string who, TimeSpan elapsed, TimeSpan cpu) =>
        Console.WriteLine($"e2e: {who,-4} link={Link} profile={Profile} {Size / (1024 * 1024)} MiB in {elapsed.TotalSeconds:F2} s = " +
            $"{Size / elapsed.TotalSeconds / 1e6:F1} MB/s, CPU {cpu.TotalSeconds:F2} s ({cpu.TotalSeconds / elapsed.TotalSeconds * 100:F0}% of one core)");

    private static async Task WriteAllAsync(Stream stream)
    {
        var chunk = new byte[64 * 1024];
        new Random(1).NextBytes(chunk);
        for (long sent = 0; sent < Size; sent += chunk.Length)
        {
            await stream.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, Size - sent)));
        }
    }

    private static async Task DrainAsync(Stream stream)
    {
        var buffer = new byte[256 * 1024];
        long received = 0;
        while (received < Size)
        {
            int n = await stream.ReadAsync(buffer);
            if (n == 0)
            {
                throw new EndOfStreamException($"ended after {received} bytes");
            }

            received += n;
        }
    }

    private static Process StartGo(string program, string[] arguments)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        process.ErrorDataReceived += (_, _) => { };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return process;
    }

    private static TimeSpan CpuOf(Process process)
    {
        process.Refresh();
        return process.TotalProcessorTime;
    }

    private static void Kill(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill();
            process.WaitForExit(5000);
        }
    }

    private static int FreePort(SocketType type, ProtocolType protocol)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, type, protocol);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
