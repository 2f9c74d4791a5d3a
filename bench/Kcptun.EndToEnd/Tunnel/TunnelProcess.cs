using System.Diagnostics;
using System.Text;

namespace Kcptun.EndToEnd.Tunnel;

/// <summary>
/// One running kcptun program: started with its arguments, its log (stderr and stdout) kept in memory, killed by
/// PID on dispose. Gives its CPU time, peak RSS and, on request, its SNMP counters (SIGUSR1 dump).
/// </summary>
public sealed class TunnelProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly Lock _logGate = new();
    private int _snmpLines;
    private Dictionary<string, long>? _lastSnmp;

    private TunnelProcess(Process process) => _process = process;

    /// <summary>The process id.</summary>
    public int Pid => _process.Id;

    /// <summary>True once the program has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Everything the program logged so far (bounded to the last 64 KiB).</summary>
    public string Log
    {
        get
        {
            lock (_logGate)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Starts <paramref name="path"/> with <paramref name="arguments"/>.</summary>
    public static TunnelProcess Start(string path, IEnumerable<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var info = new ProcessStartInfo(path)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = info };
        var tunnel = new TunnelProcess(process);
        process.ErrorDataReceived += (_, e) => tunnel.OnLine(e.Data);
        process.OutputDataReceived += (_, e) => tunnel.OnLine(e.Data);
        process.Start();
        ProcessRegistry.Add(process);
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return tunnel;
    }

    /// <summary>CPU seconds (user + system) so far.</summary>
    public double CpuSeconds() => ProcStats.CpuSeconds(Pid);

    /// <summary>Peak RSS in bytes so far.</summary>
    public double PeakRssBytes() => ProcStats.PeakRssBytes(Pid);

    /// <summary>Sends SIGUSR1 and waits up to <paramref name="timeout"/> for the dump; null when none came.</summary>
    public async Task<Dictionary<string, long>?> SnmpAsync(TimeSpan timeout)
    {
        int before;
        lock (_logGate)
        {
            before = _snmpLines;
        }

        if (HasExited || !Native.Signal(Pid, Native.SigUsr1))
        {
            return null;
        }

        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            lock (_logGate)
            {
                if (_snmpLines > before)
                {
                    return _lastSnmp;
                }
            }

            await Task.Delay(20).ConfigureAwait(false);
        }

        return null;
    }

    /// <summary>Waits until the log contains <paramref name="text"/>; false after <paramref name="timeout"/> or an exit.</summary>
    public async Task<bool> WaitForLogAsync(string text, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline && !HasExited)
        {
            if (Log.Contains(text, StringComparison.Ordinal))
            {
                return true;
            }

            await Task.Delay(20).ConfigureAwait(false);
        }

        return Log.Contains(text, StringComparison.Ordinal);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        ProcessRegistry.Kill(_process);
        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_logGate)
        {
            if (_log.Length > 64 * 1024)
            {
                _log.Remove(0, _log.Length - (32 * 1024));
            }

            _log.AppendLine(line);
            if (SnmpDump.TryParse(line, out var counters))
            {
                _lastSnmp = counters;
                _snmpLines++;
            }
        }
    }
}
