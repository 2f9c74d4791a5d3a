using System.Diagnostics;
using System.Text;

namespace Kcptun.Interop.Tests.Support;

/// <summary>
/// A child process whose stdout and stderr are captured line by line, killed by PID on dispose: the common part of
/// the Go program wrapper and the wrapper of our own built programs.
/// </summary>
internal abstract class CapturedProcess : IDisposable
{
    private readonly StringBuilder _log = new();

    protected CapturedProcess(string path, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(path) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process = new Process { StartInfo = start, EnableRaisingEvents = true };
        Process.ErrorDataReceived += (_, e) => Capture(e.Data);
        Process.OutputDataReceived += (_, e) => Capture(e.Data);
    }

    /// <summary>Everything the process printed so far, both streams interleaved by arrival.</summary>
    public string Log
    {
        get
        {
            lock (Gate)
            {
                return _log.ToString();
            }
        }
    }

    public bool HasExited => Process.HasExited;

    public int Id => Process.Id;

    protected Process Process { get; }

    /// <summary>Held while a line is appended and <see cref="OnLine"/> runs.</summary>
    protected Lock Gate { get; } = new();

    /// <summary>Starts the process and the capture of both output streams.</summary>
    protected void StartCapturing()
    {
        Process.Start();
        Process.BeginErrorReadLine();
        Process.BeginOutputReadLine();
    }

    /// <summary>Called for each captured line, under <see cref="Gate"/>, after it was appended to <see cref="Log"/>.</summary>
    protected abstract void OnLine(string line);

    private void Capture(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (Gate)
        {
            _log.AppendLine(line);
            OnLine(line);
        }
    }

    public void Dispose()
    {
        try
        {
            if (!Process.HasExited)
            {
                Process.Kill();
                Process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }

        Process.Dispose();
    }
}
