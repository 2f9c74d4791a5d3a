using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Kcptun.Interop.Tests.Tunnel;

/// <summary>
/// One of our built programs (<c>src/Kcptun.*/bin/&lt;configuration&gt;/net10.0/kcptun-*</c>) as a real process: output
/// captured, readiness by a log line, signals by <c>kill</c>, killed by PID on dispose.
/// </summary>
internal sealed class ProgramProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly List<(string Marker, TaskCompletionSource Seen)> _waiters = [];

    private ProgramProcess(string path, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(path) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        _process = new Process { StartInfo = start };
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
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
        process._process.Start();
        process._process.BeginErrorReadLine();
        process._process.BeginOutputReadLine();
        return process;
    }

    /// <summary>Waits until a line containing <paramref name="marker"/> was printed (or fails if the process exits first).</summary>
    public async Task WaitForAsync(string marker, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_output)
        {
            if (_output.ToString().Contains(marker, StringComparison.Ordinal))
            {
                return;
            }

            _waiters.Add((marker, seen));
        }

        var exited = _process.WaitForExitAsync();
        var first = await Task.WhenAny(seen.Task, exited).WaitAsync(timeout);
        Assert.True(first == seen.Task, $"exited before \"{marker}\":\n{Output}");
    }

    /// <summary>Sends a signal with kill(1) and returns at once.</summary>
    public void Signal(string name)
    {
        using var kill = Process.Start("kill", ["-" + name, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit(5000);
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        _process.WaitForExit(); // drain redirected output
        return _process.ExitCode;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }

        _process.Dispose();
    }

    public static int FreePort(SocketType type)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, type, type == SocketType.Dgram ? ProtocolType.Udp : ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
            foreach (var (marker, seen) in _waiters)
            {
                if (line.Contains(marker, StringComparison.Ordinal))
                {
                    seen.TrySetResult();
                }
            }
        }
    }
}
