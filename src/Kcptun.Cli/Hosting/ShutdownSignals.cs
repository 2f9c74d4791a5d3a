using System.Runtime.InteropServices;
using Kcptun.Diagnostics;
using Kcptun.Tunnel;

namespace Kcptun.Cli.Hosting;

/// <summary>The programs' POSIX signals: SIGINT/SIGTERM shut down cleanly (exit 0), SIGUSR1 logs the SNMP counters.</summary>
internal static class ShutdownSignals
{
    // Linux numbers SIGUSR1 10; the BSDs and macOS 30. PosixSignalRegistration accepts raw numbers on Unix.
    private static PosixSignal SignalUser1 => (PosixSignal)(OperatingSystem.IsLinux() ? 10 : 30);

    /// <summary>Registers the handlers; dispose the result to remove them.</summary>
    public static IDisposable Register(TunnelLog log, CancellationTokenSource shutdown)
    {
        var registrations = new SignalRegistrations();
        if (OperatingSystem.IsWindows())
        {
            registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop));
            return registrations;
        }

        // Started in the background by a non-interactive shell (`prog &`, nohup), SIGINT arrives ignored and the
        // runtime would leave it so; Go's signal.Notify takes it back, and so do we: SIGINT stops the program.
        if (OperatingSystem.IsLinux())
        {
            _ = NativeSignal.Reset(2);
        }

        registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop));
        registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop));
        registrations.Add(PosixSignalRegistration.Create(SignalUser1, context =>
        {
            context.Cancel = true;
            log.Write(SnmpReport.Dump(SnmpTotals.Shared.Sum()));
        }));
        return registrations;

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true; // we exit ourselves, with status 0, after closing everything
            log.Println("signal received:", context.Signal.ToString(), "shutting down");
            shutdown.Cancel();
        }
    }

    private static class NativeSignal
    {
        // signal(2) with SIG_DFL (0); returns the previous disposition.
#pragma warning disable SYSLIB1054 // one call with plain integers: no marshalling, no unsafe code needed
        [DllImport("libc", EntryPoint = "signal")]
        private static extern nint Signal(int signal, nint handler);
#pragma warning restore SYSLIB1054

        public static nint Reset(int signal) => Signal(signal, 0);
    }

    private sealed class SignalRegistrations : IDisposable
    {
        private readonly List<PosixSignalRegistration> _registrations = [];

        public void Add(PosixSignalRegistration registration) => _registrations.Add(registration);

        public void Dispose()
        {
            foreach (var registration in _registrations)
            {
                registration.Dispose();
            }
        }
    }
}
