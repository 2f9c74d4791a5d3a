using System.Net.Sockets;
using Kcptun.Cli.Hosting;
using Kcptun.Interop.Tests.Support;

namespace Kcptun.Interop.Tests.Transport;

/// <summary>
/// A running Go <c>kcptun-server</c> or <c>kcptun-client</c> from /usr/bin, killed by PID on dispose. Start waits
/// for a log line that says the program is ready (or for it to exit), with a hard timeout.
/// </summary>
internal sealed class GoKcptunProcess : CapturedProcess
{
    public const string ServerProgram = "/usr/bin/kcptun-server";

    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _readyMarker;

    private GoKcptunProcess(string program, IEnumerable<string> arguments, string readyMarker)
        : base(program, arguments)
    {
        _readyMarker = readyMarker;
        Process.Exited += (_, _) => _ready.TrySetException(new InvalidOperationException($"{program} exited: {Log}"));
    }

    public static bool Available(string program) => File.Exists(program);

    /// <summary>Completes when the process exits.</summary>
    public Task Exited => Process.WaitForExitAsync();

    /// <summary>True when the program exited because its port was taken (a port-probe race: retry).</summary>
    public bool LostPortRace => Process.HasExited && Log.Contains("address already in use", StringComparison.Ordinal);

    public static async Task<GoKcptunProcess> StartAsync(string program, IEnumerable<string> arguments, string readyMarker,
        CancellationToken ct)
    {
        var process = new GoKcptunProcess(program, arguments, readyMarker);
        try
        {
            process.StartCapturing();
            await process._ready.Task.WaitAsync(ct);
            return process;
        }
        catch
        {
            process.Dispose();
            throw;
        }
    }

    protected override void OnLine(string line)
    {
        if (line.Contains(_readyMarker, StringComparison.Ordinal))
        {
            _ready.TrySetResult();
        }
    }

    /// <summary>
    /// Starts the Go <c>kcptun-server</c> on a free loopback UDP port (<paramref name="arguments"/> get the port) and runs
    /// <paramref name="attempt"/> against it with a token that is also cancelled when the server exits. When that
    /// cancellation came from losing the port to another process between probe and bind, it tries again (3 attempts).
    /// </summary>
    public static Task RunAgainstServerAsync(Func<int, IEnumerable<string>> arguments,
        Func<GoKcptunProcess, int, CancellationToken, Task> attempt, CancellationToken ct) =>
        RunAgainstServerAsync(GoPeers.Debian, arguments, attempt, ct);

    /// <summary>As above, with the <c>kcptun-server</c> of generation <paramref name="peer"/>.</summary>
    public static async Task RunAgainstServerAsync(GoPeer peer, Func<int, IEnumerable<string>> arguments,
        Func<GoKcptunProcess, int, CancellationToken, Task> attempt, CancellationToken ct)
    {
        for (int number = 1; ; number++)
        {
            int port = LoopbackPorts.Free(SocketType.Dgram);
            using GoKcptunProcess server = await StartAsync(peer.Server, arguments(port), "key derivation done", ct);
            using var attemptTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            _ = server.Exited.ContinueWith(_ => attemptTimeout.Cancel(), TaskScheduler.Default);
            try
            {
                await attempt(server, port, attemptTimeout.Token);
                return;
            }
            catch (OperationCanceledException) when (number < 3 && !ct.IsCancellationRequested && server.LostPortRace)
            {
                // Another process took the port between our probe and the server's bind.
            }
        }
    }
}
