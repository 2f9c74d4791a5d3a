using System.Globalization;

namespace Kcptun.EndToEnd.Tunnel;

/// <summary>CPU time and peak memory of one process, read from /proc.</summary>
public static class ProcStats
{
    private static readonly long TicksPerSecond = Native.ClockTicksPerSecond();

    /// <summary>User + system CPU seconds so far (fields 14 and 15 of /proc/PID/stat); NaN when unreadable.</summary>
    public static double CpuSeconds(int pid)
    {
        try
        {
            return ParseCpuTicks(File.ReadAllText($"/proc/{pid}/stat")) / (double)TicksPerSecond;
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }

    /// <summary>utime + stime ticks from the text of /proc/PID/stat (the command name may hold spaces and parentheses).</summary>
    public static long ParseCpuTicks(string stat)
    {
        ArgumentNullException.ThrowIfNull(stat);
        var afterName = stat[(stat.LastIndexOf(')') + 2)..];
        var fields = afterName.Split(' ');
        // fields[0] is field 3 (state); utime is field 14, stime field 15.
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }

    /// <summary>Peak resident set (VmHWM) in bytes; NaN when unreadable.</summary>
    public static double PeakRssBytes(int pid)
    {
        try
        {
            return ParseStatusKilobytes(File.ReadAllText($"/proc/{pid}/status"), "VmHWM:") * 1024.0;
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }

    /// <summary>The kB value of one line of /proc/PID/status; -1 when absent.</summary>
    public static long ParseStatusKilobytes(string status, string key)
    {
        ArgumentNullException.ThrowIfNull(status);
        foreach (var line in status.Split('\n'))
        {
            if (line.StartsWith(key, StringComparison.Ordinal))
            {
                var value = line[key.Length..].Trim();
                var space = value.IndexOf(' ', StringComparison.Ordinal);
                return long.Parse(space < 0 ? value : value[..space], CultureInfo.InvariantCulture);
            }
        }

        return -1;
    }
}
