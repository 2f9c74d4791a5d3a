using Kcptun.Interop.Tests.Support;

namespace Kcptun.Interop.Tests.Tunnel;

/// <summary>
/// One of our built programs (<c>src/Kcptun.*/bin/&lt;configuration&gt;/net10.0/kcptun-*</c>) as a real process: output
/// captured, readiness by a log line, signals by <c>kill</c>, killed by PID on dispose.
/// </summary>
internal sealed class ProgramProcess : CapturedProcess
{
    private readonly List<(string Marker, TaskCompletionSource Seen)> _waiters = [];

    private ProgramProcess(string path, IEnumerable<string> arguments)
        : base(path, arguments)
    {
    }

    /// <summary>Path of a built program of this repository, in the test assembly's configuration.</summary>
    public static string Locate(string project, string program)
    {
        var configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Kcptun.slnx")))
            {
                var path = Path.Combine(dir.FullName, "src", project, "bin", configuration, "net10.0", program);
                Assert.True(File.Exists(path), $"{path} is not built (dotnet build Kcptun.slnx)");
                return path;
            }
        }

        throw new InvalidOperationException("repository root (Kcptun.slnx) not found above " + AppContext.BaseDirectory);
    }

    public static ProgramProcess Start(string path, params string[] arguments)
    {
        var process = new ProgramProcess(path, arguments);
        process.StartCapturing();
        return process;
    }

    /// <summary>Waits until a line containing <paramref name="marker"/> was printed (or fails if the process exits first).</summary>
    public async Task WaitForAsync(string marker, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (Gate)
        {
            if (Log.Contains(marker, StringComparison.Ordinal))
            {
                return;
            }

            _waiters.Add((marker, seen));
        }

        var exited = Process.WaitForExitAsync();
        var first = await Task.WhenAny(seen.Task, exited).WaitAsync(timeout);
        Assert.True(first == seen.Task, $"exited before \"{marker}\":\n{Log}");
    }

    /// <summary>Sends a signal with kill(1) and returns at once.</summary>
    public void Signal(string name)
    {
        using var kill = System.Diagnostics.Process.Start("kill", ["-" + name, Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit(5000);
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            await Process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"no exit within {timeout.TotalSeconds:0} s; its output so far:\n{Log}", e);
        }

        Process.WaitForExit(); // drain redirected output
        return Process.ExitCode;
    }

    protected override void OnLine(string line)
    {
        foreach (var (marker, seen) in _waiters)
        {
            if (line.Contains(marker, StringComparison.Ordinal))
            {
                seen.TrySetResult();
            }
        }
    }
}
