using System.Net;
using System.Net.Sockets;
using Kcptun.Cli.Hosting;
using Kcptun.EndToEnd.Emulation;
using Kcptun.Tests.Support;
using Xunit.Abstractions;

namespace Kcptun.Tests.Tunnel;

/// <summary>
/// The dead-server detection (<see cref="SessionWatch"/>) must not fire on a live but bad path: both programs
/// in-process, the client's datagrams through the seeded link emulator (10% loss each way, or 600 ms RTT), request /
/// response traffic on persistent and new connections for a while; the client never gives up its session.
/// </summary>
public class NoSpuriousReconnectTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("loss=10", 12)]
    [InlineData("delay=300", 12)]
    public async Task A_lossy_or_slow_path_keeps_its_session(string profile, int seconds)
    {
        await using var target = new EchoTarget();
        using var stop = new CancellationTokenSource();
        var serverLog = TextWriter.Synchronized(new StringWriter());
        var serverReady = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = ServerProgram.RunAsync(
            ["-l", "127.0.0.1:0", "-t", target.Address, "--key", "path", "--mode", "fast"],
            new ProgramContext { Out = serverLog, Error = serverLog, Environment = _ => null, HandleSignals = false, Shutdown = stop.Token, Listening = a => serverReady.TrySetResult(a) });
        var serverAddress = await serverReady.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var serverPort = int.Parse(serverAddress[(serverAddress.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        var link = LinkProfile.Parse(profile);
        using var emulator = LinkEmulator.Start(new IPEndPoint(IPAddress.Loopback, serverPort), link, link, seed: 16);

        var clientText = new StringWriter();
        var clientLog = TextWriter.Synchronized(clientText);
        var clientReady = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var client = ClientProgram.RunAsync(
            ["-l", "127.0.0.1:0", "-r", $"127.0.0.1:{emulator.FrontEndPoint.Port}", "--key", "path", "--mode", "fast", "--quiet"],
            new ProgramContext { Out = clientLog, Error = clientLog, Environment = _ => null, HandleSignals = false, Shutdown = stop.Token, Listening = a => clientReady.TrySetResult(a) });
        var local = await clientReady.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var port = int.Parse(local[(local.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);

        using var run = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var exchanges = await Task.WhenAll(
            Enumerable.Range(0, 3).Select(i => PersistentAsync(port, i, run.Token))
                .Append(ShortLivedAsync(port, run.Token)));

        await stop.CancelAsync();
        Assert.Equal(ExitCodes.Success, await client.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(ExitCodes.Success, await server.WaitAsync(TimeSpan.FromSeconds(30)));
        string text;
        lock (clientLog)
        {
            text = clientText.ToString();
        }

        output.WriteLine($"{profile}: {exchanges.Sum()} request/response exchanges in {seconds} s; up {emulator.Up.Delivered} delivered, down {emulator.Down.Delivered}");
        Assert.True(exchanges.Sum() > 10, $"too little traffic to mean anything: {exchanges.Sum()}");
        Assert.DoesNotContain("new connections get a new session", text, StringComparison.Ordinal);
        Assert.DoesNotContain("no answer from", text, StringComparison.Ordinal);
        Assert.Single(text.Split('\n'), l => l.Contains(" on connection: ", StringComparison.Ordinal));
    }

    // One connection, 1 KiB requests echoed one after the other until the time is up (`once`: a single exchange).
    private static async Task<int> PersistentAsync(int port, int seed, CancellationToken ct, bool once = false)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), CancellationToken.None);
        await using var stream = new NetworkStream(socket);
        var random = new Random(seed);
        var count = 0;
        var request = new byte[1024];
        var echo = new byte[request.Length];
        while (!ct.IsCancellationRequested)
        {
            random.NextBytes(request);
            await stream.WriteAsync(request, CancellationToken.None);
            await stream.ReadExactlyAsync(echo, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(request, echo);
            count++;
            if (once)
            {
                break;
            }
        }

        return count;
    }

    // A new connection per exchange: each one's SYN is data the server must acknowledge.
    private static async Task<int> ShortLivedAsync(int port, CancellationToken ct)
    {
        var count = 0;
        while (!ct.IsCancellationRequested)
        {
            count += await PersistentAsync(port, count, CancellationToken.None, once: true);
        }

        return count;
    }
}
