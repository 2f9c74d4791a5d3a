using System.Collections.Concurrent;
using System.Diagnostics;

namespace Kcptun.EndToEnd.Tunnel;

/// <summary>
/// Every process the harness starts, so that each one is killed by its PID when a run ends, when the user presses
/// Ctrl-C and when the harness exits for any other reason.
/// </summary>
internal static class ProcessRegistry
{
    private static readonly ConcurrentDictionary<int, Process> Live = new();
    private static int _hooked;

    public static void Add(Process process)
    {
        if (Interlocked.Exchange(ref _hooked, 1) == 0)
        {
            Console.CancelKeyPress += (_, e) =>
            {
                KillAll();
                e.Cancel = false;
            };
            AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
        }

        Live[process.Id] = process;
    }

    public static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // It had already gone.
        }

        Live.TryRemove(process.Id, out _);
    }

    public static void KillAll()
    {
        foreach (var process in Live.Values)
        {
            Kill(process);
        }
    }
}
