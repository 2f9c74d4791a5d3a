using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Kcptun.Cli.Hosting;
using Kcptun.Interop.Tests.Support;
using Kcptun.Interop.Tests.Transport;
using Kcptun.Tests.Support;
using Xunit.Abstractions;

namespace Kcptun.Interop.Tests.Tunnel;

/// <summary>
/// Issue 16: our client notices a restarted server (Go 20210922, Go 20260314, ours) within seconds and opens a new
/// session; a client whose key the server does not share says so. The server is killed by PID (ours: shut down) and
/// started again on the same UDP port; then connections are tried until one echoes, and the time is reported.
/// </summary>
[Collection(Kcptun.Interop.Tests.Reliability.TimedRecovery.Name)]
public sealed class ServerRestartInteropTests(ITestOutputHelper output)
{
    // Issue 16: within 5 s of the server coming back for every pairing (measured 0.2-3.4 s).
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(5);

    public static TheoryData<string> Servers => ["20210922", "20260314", "ours"];

    public static TheoryData<string, int> ServersAndHistory => new()
    {
        { "20210922", 0 }, { "20260314", 0 }, { "ours", 0 },
        { "20210922", 4 << 20 }, { "20260314", 4 << 20 }, { "ours", 4 << 20 },
    };

    /// <param name="history">Bytes echoed before the restart: 4 MiB puts our sequence numbers beyond the new
    /// server's receive window, so it drops our segments silently instead of acknowledging them.</param>
    [Theory]
    [MemberData(nameof(ServersAndHistory))]
    public async Task A_new_connection_works_within_seconds_of_a_server_restart(string server, int history)
    {
        if (server != "ours" && !GoPeers.Named(server).Available)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var ct = timeout.Token;
        await using var target = new EchoTarget();
        var port = LoopbackPorts.Free(SocketType.Dgram);
        string[] common = ["--key", "restart", "--crypt", "aes", "--mode", "fast", "--smuxver", "1"];
        string[] serverArgs = ["-t", target.Address, "-l", $"127.0.0.1:{port}", .. common];
        var log = new StringWriter();
        var writer = TextWriter.Synchronized(log);
        await using var first = await ServerUnderTest.StartAsync(server, serverArgs, ct);
        await using var client = new InProcessProgram(ClientProgram.RunAsync, ["-l", "127.0.0.1:0", "-r", $"127.0.0.1:{port}", .. common], writer);
        var local = await client.ListeningAsync(ct);
        Assert.True(await EchoAsync(local, TimeSpan.FromSeconds(10), ct), "no echo before the restart");
        if (history > 0)
        {
            Assert.True(await EchoAsync(local, TimeSpan.FromSeconds(30), ct, history), "no bulk echo before the restart");
        }

        await first.DisposeAsync();
        await using var second = await ServerUnderTest.StartAsync(server, serverArgs, ct);
        var clock = Stopwatch.StartNew();
        var attempts = 0;
        while (true)
        {
            attempts++;
            // Short attempts: the time measured is how soon a connection works, not how long a doomed attempt waits.
            if (await EchoAsync(local, TimeSpan.FromMilliseconds(500), ct))
            {
                break;
            }
        }

        var elapsed = clock.Elapsed;
        output.WriteLine($"server {server}, {history} bytes before: a new connection echoed {elapsed.TotalSeconds:0.00} s after the restart ({attempts} attempts)");
        output.WriteLine(log.ToString());
        Assert.True(elapsed < s_bound, $"took {elapsed}");
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task A_wrong_key_gets_a_one_line_hint_within_seconds(string server)
    {
        if (server != "ours" && !GoPeers.Named(server).Available)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        await using var target = new EchoTarget();
        var port = LoopbackPorts.Free(SocketType.Dgram);
        await using var go = await ServerUnderTest.StartAsync(server, ["-t", target.Address, "-l", $"127.0.0.1:{port}", "--key", "right", "--smuxver", "1"], ct);
        var log = new StringWriter();
        var writer = TextWriter.Synchronized(log);
        await using var client = new InProcessProgram(ClientProgram.RunAsync, ["-l", "127.0.0.1:0", "-r", $"127.0.0.1:{port}", "--key", "wrong", "--smuxver", "1"], writer);
        var local = await client.ListeningAsync(ct);
        var clock = Stopwatch.StartNew();
        Assert.False(await EchoAsync(local, TimeSpan.FromSeconds(7), ct));
        string text;
        lock (writer)
        {
            text = log.ToString();
        }

        output.WriteLine($"after {clock.Elapsed.TotalSeconds:0.0} s:\n{text}");
        var hints = text.Split('\n').Where(l => l.Contains("no answer from 127.0.0.1:", StringComparison.Ordinal)).ToList();
        Assert.Single(hints);
        Assert.Contains("check --key, --crypt and that UDP reaches the server", hints[0], StringComparison.Ordinal);
    }

    // One connection: 4 KiB out, the same back within `limit`; false on any failure or timeout.
    private static async Task<bool> EchoAsync(int port, TimeSpan limit, CancellationToken ct, int size = 4096)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
        attempt.CancelAfter(limit);
        var data = new byte[size];
        Random.Shared.NextBytes(data);
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), attempt.Token);
            await using var stream = new NetworkStream(socket);
            var write = stream.WriteAsync(data, attempt.Token).AsTask();
            var echo = new byte[data.Length];
            await stream.ReadExactlyAsync(echo, attempt.Token);
            await write;
            return echo.AsSpan().SequenceEqual(data);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or EndOfStreamException)
        {
            if (ct.IsCancellationRequested)
            {
                throw;
            }

            // The stream ended or timed out; the caller tries again after a short pause (a reset comes at once).
            await Task.Delay(100, ct);
            return false;
        }
    }
}
