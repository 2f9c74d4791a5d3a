using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Kcptun.Interop.Tests.Transport;

/// <summary>
/// A running Go <c>kcptun-server</c> or <c>kcptun-client</c> from /usr/bin, killed by PID on dispose. Start waits
/// for a log line that says the program is ready (or for it to exit), with a hard timeout.
/// </summary>
internal sealed class GoKcptunProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _readyMarker;

    private GoKcptunProcess(string program, IEnumerable<string> arguments, string readyMarker)
    {
        _readyMarker = readyMarker;
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.Exited += (_, _) => _ready.TrySetException(new InvalidOperationException($"{program} exited: {Log}"));
    }

    public static bool Available(string program) => File.Exists(program);

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public int Id => _process.Id;

    /// <summary>Completes when the process exits.</summary>
    public Task Exited => _process.WaitForExitAsync();

    /// <summary>True when the program exited because its port was taken (a port-probe race: retry).</summary>
    public bool LostPortRace => _process.HasExited && Log.Contains("address already in use", StringComparison.Ordinal);

    public static async Task<GoKcptunProcess> StartAsync(string program, IEnumerable<string> arguments, string readyMarker,
        CancellationToken ct)
    {
        var process = new GoKcptunProcess(program, arguments, readyMarker);
        try
        {
            process._process.Start();
            process._process.BeginErrorReadLine();
            process._process.BeginOutputReadLine();
            await process._ready.Task.WaitAsync(ct);
            return process;
        }
        catch
        {
            process.Dispose();
            throw;
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }

        if (line.Contains(_readyMarker, StringComparison.Ordinal))
        {
            _ready.TrySetResult();
        }
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

    /// <summary>A port that was free a moment ago (bind to port 0, release). Callers retry on a collision.</summary>
    public static int FreeUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    public static int FreeTcpPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
