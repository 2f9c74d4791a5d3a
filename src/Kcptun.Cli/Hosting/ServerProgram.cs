using System.Net.Sockets;
using Kcptun.Cli.Configuration;
using Kcptun.Transport;
using Kcptun.Transport.FakeTcp;
using Kcptun.Tunnel;

namespace Kcptun.Cli.Hosting;

/// <summary>
/// <c>kcptun-server</c>: listens for KCP sessions on <c>--listen</c> and connects every stream to <c>--target</c>.
/// Its <c>Main</c> only calls <see cref="RunAsync"/>; tests call it in-process with their own <see cref="ProgramContext"/>.
/// </summary>
public static class ServerProgram
{
    /// <summary>Runs <c>kcptun-server</c>; returns the exit code.</summary>
    public static Task<int> RunAsync(IReadOnlyList<string> arguments, ProgramContext? context = null, string programName = "kcptun-server") =>
        ProgramHost.RunAsync(TunnelFlags.Server, programName, "server", TunnelConfiguration.LoadServer, RunCoreAsync, arguments, context ?? new ProgramContext());

    /// <summary>The <c>-h</c> text.</summary>
    public static string Help(string programName = "kcptun-server") => HelpText.Build(TunnelFlags.Server, programName, "server", new ServerOptions());

    /// <summary>
    /// What <see cref="RunAsync"/> does before any I/O (<see cref="ProgramHost.ConfigureAsync"/>): the exit code when
    /// the program ends there, or null and the options to run.
    /// </summary>
    internal static async Task<(int? Exit, ServerOptions Options)> ConfigureAsync(IReadOnlyList<string> arguments, ProgramContext context, string programName = "kcptun-server")
    {
        var (exit, options, _) = await ProgramHost.ConfigureAsync(TunnelFlags.Server, programName, "server", TunnelConfiguration.LoadServer, arguments, context).ConfigureAwait(false);
        return (exit, options);
    }

    private static async Task<int> RunCoreAsync(ServerOptions options, TunnelLog log, ProgramContext context, ServiceRuntime service, CancellationToken cancellationToken)
    {
        ProgramHost.LogCommon(options, log, StartupLog.Server(options));
        var transport = TransportSettings.From(options, ProgramHost.DeriveKey(options, log), log);
        var listen = RuntimeBinding.Listen(options);
        var listeners = new List<KcpListener>();
        // One session limit for the whole server: a port range or --tcp must not multiply it.
        var sessionLimit = KcpListener.NewSessionLimit();
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
                        listeners.Add(KcpListener.Start(endPoint, transport with { FakeTcp = true }, sessionLimit));
                        log.Write($"Listening on: {EndpointResolver.Format(listeners[^1].LocalEndPoint)}/tcp");
                    }

                    listeners.Add(KcpListener.Start(endPoint, transport, sessionLimit));
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
            var server = new TunnelServer(RuntimeBinding.Server(options), log, ProgramHost.Compress);
            var sessions = new TaskTracker();
            try
            {
                await Task.WhenAll(listeners.Select(l => AcceptLoopAsync(l, server, sessions, service, log, cancellationToken))).ConfigureAwait(false);
            }
            finally
            {
                await StopAsync(server, sessions, log).ConfigureAwait(false);
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

    /// <summary>Longest the server waits for its sessions and streams to end after SIGINT/SIGTERM before it exits anyway.</summary>
    internal static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(5);

    // Ends every session and stream; a session still blocked after the grace (a peer that vanished mid-close) is left
    // to the process exit, with a line saying so, instead of holding the exit back.
    private static async Task StopAsync(TunnelServer server, TaskTracker sessions, TunnelLog log)
    {
        var stopping = StopAllAsync();
        try
        {
            await stopping.WaitAsync(ShutdownGrace).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            log.Write($"shutdown: {server.ActiveStreams} stream(s) did not end within {ShutdownGrace.TotalSeconds:0} s; exiting anyway");
        }

        async Task StopAllAsync()
        {
            await server.DisposeAsync().ConfigureAwait(false);
            await sessions.WhenAllAsync().ConfigureAwait(false);
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
}
