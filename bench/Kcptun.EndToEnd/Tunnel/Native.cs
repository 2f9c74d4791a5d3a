using System.Runtime.InteropServices;

namespace Kcptun.EndToEnd.Tunnel;

/// <summary>The two libc calls the harness needs: a signal to one PID, and the clock-tick rate of /proc.</summary>
internal static partial class Native
{
    /// <summary>SIGUSR1 on Linux.</summary>
    public const int SigUsr1 = 10;

    /// <summary>SIGKILL.</summary>
    public const int SigKill = 9;

    private const int ScClockTicks = 2; // _SC_CLK_TCK

    /// <summary>Sends <paramref name="signal"/> to exactly <paramref name="pid"/>; true on success.</summary>
    public static bool Signal(int pid, int signal) => pid > 0 && Kill(pid, signal) == 0;

    /// <summary>Clock ticks per second used by utime/stime in /proc/PID/stat.</summary>
    public static long ClockTicksPerSecond()
    {
        var ticks = SysConf(ScClockTicks);
        return ticks > 0 ? ticks : 100;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long SysConf(int name);
}
