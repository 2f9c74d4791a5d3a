using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Kcptun.Compression;
using Kcptun.Crypto;
using Kcptun.Diagnostics;
using Kcptun.Transport;
using Kcptun.Transport.FakeTcp;

namespace Kcptun.Tunnel;

/// <summary>
/// The two programs' whole life: read the configuration (flags, <c>-c</c> JSON, <c>KCPTUN_KEY</c>, SIP003), answer
/// <c>-h</c>/<c>-v</c>, validate, open the log, log the start-up lines, run the tunnel until SIGINT/SIGTERM, exit.
/// The programs' <c>Main</c> only calls <see cref="RunClientAsync"/> or <see cref="RunServerAsync"/>; tests call them
/// in-process with their own <see cref="ProgramContext"/>.
/// </summary>
public static class TunnelProgram
{
    // Linux numbers SIGUSR1 10; the BSDs and macOS 30. PosixSignalRegistration accepts raw numbers on Unix.
    private static PosixSignal SignalUser1 => (PosixSignal)(OperatingSystem.IsLinux() ? 10 : 30);

    /// <summary>Runs <c>kcptun-client</c>; returns the exit code.</summary>
    public static Task<int> RunClientAsync(IReadOnlyList<string> arguments, ProgramContext? context = null, string programName = "kcptun-client") =>
        RunAsync(TunnelFlags.Client, programName, "client", TunnelConfiguration.LoadClient, RunClientCoreAsync, arguments, context ?? new ProgramContext());

    /// <summary>Runs <c>kcptun-server</c>; returns the exit code.</summary>
    public static Task<int> RunServerAsync(IReadOnlyList<string> arguments, ProgramContext? context = null, string programName = "kcptun-server") =>
        RunAsync(TunnelFlags.Server, programName, "server", TunnelConfiguration.LoadServer, RunServerCoreAsync, arguments, context ?? new ProgramContext());

    /// <summary>The <c>-h</c> text of the client.</summary>
    public static string ClientHelp(string programName = "kcptun-client") => HelpText.Build(TunnelFlags.Client, programName, "client", new ClientOptions());

    /// <summary>The <c>-h</c> text of the server.</summary>
    public static string ServerHelp(string programName = "kcptun-server") => HelpText.Build(TunnelFlags.Server, programName, "server", new ServerOptions());

    private static async Task<int> RunAsync<T>(
        IReadOnlyList<OptionDefinition<T>> table,
        string programName,
        string role,
        Func<IReadOnlyList<string>, Func<string, string?>, LoadedConfiguration<T>> load,
        Func<T, TunnelLog, ProgramContext, ServiceRuntime, CancellationToken, Task<int>> core,
        IReadOnlyList<string> arguments,
        ProgramContext context)
        where T : TunnelOptions, new()
    {
        var (exit, options, negativeRateLimit) = await ConfigureAsync(table, programName, role, load, arguments, context).ConfigureAwait(false);
        if (exit is { } code)
        {
            return code;
        }

        var stderrLog = new TunnelLog(context.Error, context.Time);
        TunnelLog log;
        try
        {
            log = options.Log.Length > 0
                ? TunnelLog.OpenFile(options.Log, options.Quiet, context.Time)
                : new TunnelLog(context.Error, context.Time) { Quiet = options.Quiet };
        }
        catch (TunnelConfigurationException e)
        {
            Report(stderrLog, e);
            return ExitCodes.Configuration;
        }

        using (log)
        {
            using var shutdown = CancellationTokenSource.CreateLinkedTokenSource(context.Shutdown);
            using var signals = context.HandleSignals ? RegisterSignals(log, shutdown) : null;
            log.Println("version:", HelpText.Version);
            if (negativeRateLimit < 0)
            {
                log.Write($"ratelimit {negativeRateLimit} is negative, falling back to 0");
            }

            ServiceRuntime service;
            try
            {
                service = ServiceRuntime.Start(options, needsSession: options is ClientOptions, log, context);
            }
            catch (TunnelConfigurationException e)
            {
                Report(log, e);
                return ExitCodes.Configuration;
            }

            await using var serviceScope = service.ConfigureAwait(false);
            using var stopping = shutdown.Token.Register(service.Stopping);
            try
            {
                return await core(options, log, context, service, shutdown.Token).ConfigureAwait(false);
            }
            catch (TunnelConfigurationException e)
            {
                Report(log, e);
                return ExitCodes.Configuration;
            }
            catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
            {
                return ExitCodes.Success;
            }
        }
    }

    /// <summary>
    /// What <see cref="RunClientAsync"/> does before any I/O: read the flags, the <c>-c</c> file and the environment,
    /// answer <c>-h</c>/<c>-v</c>, validate. Returns the exit code when the program ends there (help, version, usage
    /// or configuration error, each reported on <paramref name="context"/>), or null and the options to run.
    /// </summary>
    internal static async Task<(int? Exit, ClientOptions Options)> ConfigureClientAsync(IReadOnlyList<string> arguments, ProgramContext context, string programName = "kcptun-client")
    {
        var (exit, options, _) = await ConfigureAsync(TunnelFlags.Client, programName, "client", TunnelConfiguration.LoadClient, arguments, context).ConfigureAwait(false);
        return (exit, options);
    }

    /// <summary>The server's <see cref="ConfigureClientAsync"/>.</summary>
    internal static async Task<(int? Exit, ServerOptions Options)> ConfigureServerAsync(IReadOnlyList<string> arguments, ProgramContext context, string programName = "kcptun-server")
    {
        var (exit, options, _) = await ConfigureAsync(TunnelFlags.Server, programName, "server", TunnelConfiguration.LoadServer, arguments, context).ConfigureAwait(false);
        return (exit, options);
    }

    private static async Task<(int? Exit, T Options, int NegativeRateLimit)> ConfigureAsync<T>(
        IReadOnlyList<OptionDefinition<T>> table,
        string programName,
        string role,
        Func<IReadOnlyList<string>, Func<string, string?>, LoadedConfiguration<T>> load,
        IReadOnlyList<string> arguments,
        ProgramContext context)
        where T : TunnelOptions, new()
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var stderrLog = new TunnelLog(context.Error, context.Time);
        LoadedConfiguration<T> loaded;
        try
        {
            loaded = load(arguments, context.Environment);
        }
        catch (CommandLineUsageException e)
        {
            await context.Error.WriteLineAsync("Incorrect Usage. " + e.Message).ConfigureAwait(false);
            await context.Out.WriteAsync(HelpText.Build(table, programName, role, new T())).ConfigureAwait(false);
            return (ExitCodes.Usage, new T(), 0);
        }
        catch (TunnelConfigurationException e)
        {
            Report(stderrLog, e);
            return (ExitCodes.Configuration, new T(), 0);
        }

        switch (loaded.Action)
        {
            case CommandLineAction.Help:
                await context.Out.WriteAsync(HelpText.Build(table, programName, role, new T())).ConfigureAwait(false);
                return (ExitCodes.Success, loaded.Options, 0);
            case CommandLineAction.Version:
                await context.Out.WriteLineAsync($"kcptun version {HelpText.Version}").ConfigureAwait(false);
                return (ExitCodes.Success, loaded.Options, 0);
        }

        var options = loaded.Options;
        var negativeRateLimit = options.RateLimit < 0 ? options.RateLimit : 0;
        if (negativeRateLimit < 0)
        {
            options = (T)(options with { RateLimit = 0 });
        }

        try
        {
            options.Validate();
        }
        catch (TunnelConfigurationException e)
        {
            Report(stderrLog, e);
            return (ExitCodes.Configuration, options, 0);
        }

        return (null, options, negativeRateLimit);
    }

    private static void Report(TunnelLog log, TunnelConfigurationException e)
    {
        foreach (var problem in e.Problems)
        {
            log.Write(problem);
        }
    }

    private static SignalRegistrations RegisterSignals(TunnelLog log, CancellationTokenSource shutdown)
    {
        var registrations = new SignalRegistrations();
        if (OperatingSystem.IsWindows())
        {
            registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop));
            return registrations;
        }

        registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop));
        registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop));
        registrations.Add(PosixSignalRegistration.Create(SignalUser1, context =>
        {
            context.Cancel = true;
            log.Write(SnmpReport.Dump(SnmpCounters.Global));
        }));
        return registrations;

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true; // we exit ourselves, with status 0, after closing everything
            log.Println("signal received:", context.Signal.ToString(), "shutting down");
            shutdown.Cancel();
        }
    }

    private static void LogCommon(TunnelOptions options, TunnelLog log, IEnumerable<string> lines)
    {
        foreach (var line in lines)
        {
            log.Write(line);
        }

        if (options.Pprof)
        {
            log.Write("pprof: not available in the .NET build; --pprof is accepted and ignored (use SIGUSR1 or --snmplog for counters)");
        }
    }

    private static async Task<int> RunClientCoreAsync(ClientOptions options, TunnelLog log, ProgramContext context, ServiceRuntime service, CancellationToken cancellationToken)
    {
        using var listener = await EndpointResolver.ListenStreamAsync("--localaddr", options.LocalAddress, cancellationToken).ConfigureAwait(false);
        var listeningOn = EndpointResolver.Format(listener.LocalEndPoint);
        LogCommon(options, log, StartupLog.Client(options, listeningOn));
        var transport = TransportSettings.From(options, DeriveKey(options, log), log) with { FakeTcp = options.Tcp };
        if (options.Tcp)
        {
            EnsureFakeTcp();
        }

        AddressSyntax.TryParseHostPortRange("--remoteaddr", options.RemoteAddress, allowRange: true, out var remote);
        var snmp = SnmpCsvLogger.RunAsync(options.SnmpLog, options.SnmpPeriod, log, context.Time, cancellationToken);
        service.Ready(listeningOn);
        context.Listening?.Invoke(listeningOn);
        await using var client = new TunnelClient(options, log, DialAsync, s_compress, context.Time);
        await client.RunAsync(listener, cancellationToken).ConfigureAwait(false);
        await snmp.ConfigureAwait(false);
        return ExitCodes.Success;

        // One new KCP session per call; with a port range, a random port of it (latest upstream).
        async ValueTask<TransportConnection> DialAsync(CancellationToken token)
        {
            var port = remote.MinPort + Random.Shared.Next(remote.Count);
            var host = await EndpointResolver.ResolveHostAsync("--remoteaddr", remote.Host, token).ConfigureAwait(false);
            var session = await KcpSession.ConnectAsync(new IPEndPoint(host, port), transport, token).ConfigureAwait(false);
            service.Track(session);
            return new TransportConnection(session, EndpointResolver.Format(session.LocalEndPoint), EndpointResolver.Format(session.RemoteEndPoint))
            {
                Liveness = () => session.Liveness,
            };
        }
    }

    private static async Task<int> RunServerCoreAsync(ServerOptions options, TunnelLog log, ProgramContext context, ServiceRuntime service, CancellationToken cancellationToken)
    {
        LogCommon(options, log, StartupLog.Server(options));
        var transport = TransportSettings.From(options, DeriveKey(options, log), log);
        AddressSyntax.TryParseHostPortRange("--listen", options.Listen, allowRange: true, out var listen);
        var listeners = new List<KcpListener>();
        try
        {
            for (var port = listen.MinPort; port <= listen.MaxPort; port++)
            {
                var endPoint = await EndpointResolver.ResolveForListenAsync("--listen", listen.Host, port, cancellationToken).ConfigureAwait(false);
                try
                {
                    if (options.Tcp)
                    {
                        // Go's server listens for fake TCP first, then for UDP on the same address (docs/protocol/programs.md §10.10).
                        listeners.Add(KcpListener.Start(endPoint, transport with { FakeTcp = true }));
                        log.Write($"Listening on: {EndpointResolver.Format(listeners[^1].LocalEndPoint)}/tcp");
                    }

                    listeners.Add(KcpListener.Start(endPoint, transport));
                }
                catch (FakeTcpException e)
                {
                    throw new TunnelConfigurationException($"--listen {listen.Format(port)}: {e.Message}", e);
                }
                catch (SocketException e)
                {
                    throw new TunnelConfigurationException($"--listen {listen.Format(port)}: cannot listen: {EndpointResolver.Describe(e)}", e);
                }

                if (listen.Count > 1)
                {
                    log.Write($"Listening on: {EndpointResolver.Format(listeners[^1].LocalEndPoint)}/udp");
                }
            }

            var snmp = SnmpCsvLogger.RunAsync(options.SnmpLog, options.SnmpPeriod, log, context.Time, cancellationToken);
            var watch = WatchChecksumsAsync(listeners, log, context.Time, cancellationToken);
            var listeningOn = string.Join(",", listeners.Select(l => EndpointResolver.Format(l.LocalEndPoint)));
            service.Ready(listeningOn);
            context.Listening?.Invoke(listeningOn);
            var server = new TunnelServer(options, log, s_compress);
            var sessions = new TaskTracker();
            try
            {
                await Task.WhenAll(listeners.Select(l => AcceptLoopAsync(l, server, sessions, service, log, cancellationToken))).ConfigureAwait(false);
            }
            finally
            {
                await server.DisposeAsync().ConfigureAwait(false);
                await sessions.WhenAllAsync().ConfigureAwait(false);
            }

            await snmp.ConfigureAwait(false);
            await watch.ConfigureAwait(false);
            return ExitCodes.Success;
        }
        finally
        {
            foreach (var listener in listeners)
            {
                await listener.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static void EnsureFakeTcp()
    {
        try
        {
            FakeTcpSupport.EnsureAvailable();
        }
        catch (FakeTcpException e)
        {
            throw new TunnelConfigurationException(e.Message, e);
        }
    }

    // Datagrams that fail the checksum before any session exists are what a wrong --key or --crypt looks like from
    // here; say so (at most every few seconds) instead of staying silent.
    private static async Task WatchChecksumsAsync(List<KcpListener> listeners, TunnelLog log, TimeProvider time, CancellationToken cancellationToken)
    {
        var period = TimeSpan.FromSeconds(5);
        using var timer = new PeriodicTimer(period, time);
        long reported = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var total = listeners.Sum(l => Volatile.Read(ref l.Counters.InCsumErrors));
                if (total > reported)
                {
                    log.Write($"{total - reported} datagrams failed decryption or checksum in the last {period.TotalSeconds:0} s: is a client using a different --key or --crypt?");
                    reported = total;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutdown.
        }
    }

    private static async Task AcceptLoopAsync(KcpListener listener, TunnelServer server, TaskTracker sessions, ServiceRuntime service, TunnelLog log, CancellationToken cancellationToken)
    {
        var local = EndpointResolver.Format(listener.LocalEndPoint);
        while (true)
        {
            KcpSession session;
            try
            {
                session = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                log.Write($"accept on {local}: {e.Message}");
                return;
            }

            service.Track(session);
            sessions.Add(server.ServeConnectionAsync(session, local, EndpointResolver.Format(session.RemoteEndPoint), cancellationToken));
        }
    }

    private static readonly Func<Stream, Stream> s_compress = static stream => new SnappyFramingStream(stream);

    private static byte[] DeriveKey(TunnelOptions options, TunnelLog log)
    {
        log.Write("initiating key derivation");
        var key = PacketProtection.DeriveKey(options.Key);
        log.Write("key derivation done");
        return key;
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
