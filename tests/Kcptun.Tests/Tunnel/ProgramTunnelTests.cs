using System.Net;
using System.Net.Sockets;
using Kcptun.Cli.Hosting;
using Kcptun.Tests.Support;

namespace Kcptun.Tests.Tunnel;

/// <summary>Both programs in-process over real KCP on loopback: the whole stack, including port ranges and shutdown.</summary>
public class ProgramTunnelTests
{
    [Fact]
    public async Task Client_spreads_sessions_over_the_servers_port_range()
    {
        await using var target = new EchoTarget();
        using var stop = new CancellationTokenSource();
        var (serverExit, serverLog, ports) = await StartServerOnTwoPortsAsync(target, stop.Token);
        var clientLog = new StringWriter();
        var clientLogWriter = TextWriter.Synchronized(clientLog);
        var local = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var client = ClientProgram.RunAsync(
            ["-l", "127.0.0.1:0", "-r", $"127.0.0.1:{ports}", "--conn", "8", "--key", "range", "--crypt", "salsa20", "--mode", "fast3"],
            new ProgramContext { Out = clientLogWriter, Error = clientLogWriter, Environment = _ => null, HandleSignals = false, Shutdown = stop.Token, Listening = a => local.TrySetResult(a) });
        var address = await local.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var port = int.Parse(address[(address.LastIndexOf(':') + 1)..]);

        var sent = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => RoundTripAsync(port, 64 * 1024, i)));
        await Poll.UntilAsync(() => target.Received.Count == 8);
        Assert.Equal(sent.Order(), target.Received.Order());

        await stop.CancelAsync();
        Assert.Equal(ExitCodes.Success, await client.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(ExitCodes.Success, await serverExit.WaitAsync(TimeSpan.FromSeconds(30)));
        string text;
        lock (serverLog.Writer)
        {
            text = serverLog.Text.ToString();
        }

        Assert.Equal(2, text.Split('\n').Count(l => l.Contains("Listening on: 127.0.0.1:", StringComparison.Ordinal) && l.EndsWith("/udp", StringComparison.Ordinal)));
        Assert.Equal(8, text.Split('\n').Count(l => l.Contains("(detected: compressed, smux v2)", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Pprof_and_negative_ratelimit_are_explained_in_the_log_and_shutdown_exits_zero()
    {
        var text = new StringWriter();
        var log = TextWriter.Synchronized(text);
        using var stop = new CancellationTokenSource();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var exit = ServerProgram.RunAsync(
            ["-l", "127.0.0.1:0", "--pprof", "--ratelimit", "-5", "--crypt", "none"],
            new ProgramContext { Out = log, Error = log, Environment = _ => null, HandleSignals = false, Shutdown = stop.Token, Listening = _ => ready.TrySetResult() });
        await Task.WhenAny(ready.Task, exit).WaitAsync(TimeSpan.FromSeconds(30));
        await stop.CancelAsync();
        Assert.Equal(ExitCodes.Success, await exit.WaitAsync(TimeSpan.FromSeconds(30)));
        string output;
        lock (log)
        {
            output = text.ToString();
        }

        Assert.Contains(" ratelimit -5 is negative, falling back to 0\n", output, StringComparison.Ordinal);
        Assert.Contains(" ratelimit: 0\n", output, StringComparison.Ordinal);
        Assert.Contains(" pprof: not available in the .NET build; --pprof is accepted and ignored", output, StringComparison.Ordinal);
        Assert.Contains(" initiating key derivation\n", output, StringComparison.Ordinal);
        Assert.Contains(" key derivation done\n", output, StringComparison.Ordinal);
    }

    // Two consecutive free UDP ports are not guaranteed: probe a few times.
    private static async Task<(Task<int> Exit, (TextWriter Writer, StringWriter Text) Log, string Ports)> StartServerOnTwoPortsAsync(EchoTarget target, CancellationToken stop)
    {
        for (var attempt = 0; ; attempt++)
        {
            int first;
            using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
            {
                probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                first = ((IPEndPoint)probe.LocalEndPoint!).Port;
            }

            if (first >= 65535)
            {
                continue;
            }

            var text = new StringWriter();
            var log = TextWriter.Synchronized(text); // locks itself; the test reads under the same lock
            var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var ports = $"{first}-{first + 1}";
            var exit = ServerProgram.RunAsync(
                ["-l", $"127.0.0.1:{ports}", "-t", target.Address, "--key", "range", "--crypt", "salsa20", "--mode", "fast3"],
                new ProgramContext { Out = log, Error = log, Environment = _ => null, HandleSignals = false, Shutdown = stop, Listening = _ => ready.TrySetResult() });
            var done = await Task.WhenAny(ready.Task, exit).WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
            if (done == ready.Task)
            {
                return (exit, (log, text), ports);
            }

            Assert.True(attempt < 5, "no two consecutive free UDP ports");
        }
    }

    private static async Task<string> RoundTripAsync(int port, int size, int seed)
    {
        var data = new byte[size];
        new Random(seed).NextBytes(data);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        await using var stream = new NetworkStream(socket);
        var write = stream.WriteAsync(data).AsTask();
        var echo = new byte[size];
        await stream.ReadExactlyAsync(echo).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        await write;
        Assert.Equal(data, echo);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(data));
    }
}
