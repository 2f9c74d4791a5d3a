using System.Net;
using Kcptun.Cli.Configuration;
using Kcptun.Transport;
using Kcptun.Transport.FakeTcp;
using Kcptun.Tunnel;

namespace Kcptun.Cli.Hosting;

/// <summary>
/// <c>kcptun-client</c>: listens on <c>--localaddr</c> and carries every connection over KCP sessions to
/// <c>--remoteaddr</c>. Its <c>Main</c> only calls <see cref="RunAsync"/>; tests call it in-process with their own
/// <see cref="ProgramContext"/>.
/// </summary>
public static class ClientProgram
{
    /// <summary>Runs <c>kcptun-client</c>; returns the exit code.</summary>
    public static Task<int> RunAsync(IReadOnlyList<string> arguments, ProgramContext? context = null, string programName = "kcptun-client") =>
        ProgramHost.RunAsync(TunnelFlags.Client, programName, "client", TunnelConfiguration.LoadClient, RunCoreAsync, arguments, context ?? new ProgramContext());

    /// <summary>The <c>-h</c> text.</summary>
    public static string Help(string programName = "kcptun-client") => HelpText.Build(TunnelFlags.Client, programName, "client", new ClientOptions());

    /// <summary>
    /// What <see cref="RunAsync"/> does before any I/O (<see cref="ProgramHost.ConfigureAsync"/>): the exit code when
    /// the program ends there, or null and the options to run.
    /// </summary>
    internal static async Task<(int? Exit, ClientOptions Options)> ConfigureAsync(IReadOnlyList<string> arguments, ProgramContext context, string programName = "kcptun-client")
    {
        var (exit, options, _) = await ProgramHost.ConfigureAsync(TunnelFlags.Client, programName, "client", TunnelConfiguration.LoadClient, arguments, context).ConfigureAwait(false);
        return (exit, options);
    }

    private static async Task<int> RunCoreAsync(ClientOptions options, TunnelLog log, ProgramContext context, ServiceRuntime service, CancellationToken cancellationToken)
    {
        using var listener = await EndpointResolver.ListenStreamAsync("--localaddr", options.LocalAddress, cancellationToken).ConfigureAwait(false);
        var listeningOn = EndpointResolver.Format(listener.LocalEndPoint);
        ProgramHost.LogCommon(options, log, StartupLog.Client(options, listeningOn));
        var transport = TransportSettings.From(options, ProgramHost.DeriveKey(options, log), log) with { FakeTcp = options.Tcp };
        if (options.Tcp)
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

        var remote = RuntimeBinding.Remote(options);
        var snmp = SnmpCsvLogger.RunAsync(options.SnmpLog, options.SnmpPeriod, log, context.Time, cancellationToken);
        service.Ready(listeningOn);
        context.Listening?.Invoke(listeningOn);
        await using var client = new TunnelClient(RuntimeBinding.Client(options), log, DialAsync, ProgramHost.Compress, context.Time);
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
}
