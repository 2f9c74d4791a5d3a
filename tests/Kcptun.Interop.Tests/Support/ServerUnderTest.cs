using Kcptun.Interop.Tests.Transport;
using Kcptun.Cli.Hosting;
using Kcptun.Tunnel;

namespace Kcptun.Interop.Tests.Support;

/// <summary>A kcptun server for the restart and reliability tests: ours in-process, or a Go generation's binary.</summary>
internal static class ServerUnderTest
{
    /// <summary>Starts <paramref name="server"/> ("ours", "20210922" or "20260314") with <paramref name="args"/>; disposing stops it (ours must exit 0; Go is killed).</summary>
    public static async Task<IAsyncDisposable> StartAsync(string server, string[] args, CancellationToken ct)
    {
        if (server == "ours")
        {
            var ours = new InProcessProgram(ServerProgram.RunAsync, args, TextWriter.Null);
            await ours.ListeningAsync(ct);
            return ours;
        }

        return new GoProcessHandle(await GoKcptunProcess.StartAsync(GoPeers.Named(server).Server, args, "key derivation done", ct));
    }
}

internal sealed class GoProcessHandle(GoKcptunProcess process) : IAsyncDisposable
{
    public ValueTask DisposeAsync()
    {
        process.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>One of our programs run in-process until disposed (must exit 0).</summary>
internal sealed class InProcessProgram : IAsyncDisposable
{
    private readonly CancellationTokenSource _shutdown = new();
    private readonly TaskCompletionSource<string> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task<int> _run;

    public InProcessProgram(Func<IReadOnlyList<string>, ProgramContext?, string, Task<int>> run, string[] args, TextWriter log)
    {
        var context = new ProgramContext
        {
            Out = log,
            Error = log,
            Environment = _ => null,
            HandleSignals = false,
            Shutdown = _shutdown.Token,
            Listening = address => _listening.TrySetResult(address),
        };
        _run = Task.Run(() => run(args, context, "kcptun"));
        _ = _run.ContinueWith(t => _listening.TrySetException(new InvalidOperationException($"exited {(t.IsCompletedSuccessfully ? t.Result : -1)}")), TaskScheduler.Default);
    }

    public async Task<int> ListeningAsync(CancellationToken ct)
    {
        var address = await _listening.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
        return int.Parse(address[(address.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _shutdown.CancelAsync();
        var exit = await _run.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(ExitCodes.Success, exit);
        _shutdown.Dispose();
    }
}
