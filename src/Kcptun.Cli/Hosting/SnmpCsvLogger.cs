using Kcptun.Diagnostics;
using Kcptun.Tunnel;

namespace Kcptun.Cli.Hosting;

/// <summary>
/// <c>--snmplog</c>: every <c>--snmpperiod</c> seconds appends a CSV record of <see cref="SnmpTotals.Shared"/> to
/// the file named by the Go time layout (docs/protocol/programs.md §10.8). If a file cannot be opened the error is logged and the
/// logger stops, as kcptun's does.
/// </summary>
internal static class SnmpCsvLogger
{
    public static async Task RunAsync(string path, int periodSeconds, TunnelLog log, TimeProvider time, CancellationToken cancellationToken)
    {
        if (path.Length == 0 || periodSeconds <= 0)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(periodSeconds), time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    SnmpReport.Append(path, time.GetLocalNow(), SnmpTotals.Shared.Sum());
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    log.Write(e.Message);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutdown.
        }
    }
}
