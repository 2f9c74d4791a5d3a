using Kcptun.Cli.Configuration;
using Kcptun.Crypto;
using Kcptun.Tunnel;

namespace Kcptun.Tests.Tunnel;

/// <summary>
/// The allocation and timer set-up the programs do with validated options before any socket is opened, run without
/// I/O: an option that validation lets through must not make any of it throw (or allocate without bound).
/// </summary>
internal static class RuntimeChecks
{
    private static readonly byte[] s_key = new byte[32];

    public static void Client(ClientOptions options)
    {
        Common(options, options.SmuxVersion);
        var log = new TunnelLog(TextWriter.Null, TimeProvider.System);
        var client = new TunnelClient(RuntimeBinding.Client(options), log, _ => throw new InvalidOperationException("no dialling here"), s => s);
        client.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _ = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(options.AutoExpire) + TimeSpan.FromSeconds(options.ScavengeTtl);
    }

    public static void Server(ServerOptions options)
    {
        Common(options, options.SmuxVersion ?? 1);
        Common(options, options.SmuxVersion ?? 2);
    }

    private static void Common(TunnelOptions options, int smuxVersion)
    {
        var log = new TunnelLog(TextWriter.Null, TimeProvider.System);
        var transport = TransportSettings.From(options, s_key, log);
        transport.Validate();
        _ = transport.ProtectionFactory();
        SmuxSettings.From(options, smuxVersion).Validate();
        if (options.SnmpPeriod > 0)
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.SnmpPeriod));
        }

        if (options.CloseWait > 0)
        {
            // StreamPipe waits this long with Task.Delay, whose limit is about 49.7 days.
            using var cancelled = new CancellationTokenSource();
            cancelled.Cancel();
            _ = Task.Delay(TimeSpan.FromSeconds(options.CloseWait), cancelled.Token);
        }

        if (options.Qpp)
        {
            _ = QuantumPermutationPad.Create(options.Key, options.QppCount);
        }
    }
}
