using Kcptun.Interop.Tests.Support;

namespace Kcptun.Interop.Tests.Transport;

/// <summary>
/// A running Go <c>kcptun-server</c> or <c>kcptun-client</c> from /usr/bin, killed by PID on dispose. Start waits
/// for a log line that says the program is ready (or for it to exit), with a hard timeout.
/// </summary>
internal sealed class GoKcptunProcess : CapturedProcess
{
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
}
