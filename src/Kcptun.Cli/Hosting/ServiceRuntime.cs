using System.Net.Sockets;
using Kcptun.Cli.Configuration;
using Kcptun.Diagnostics;
using Kcptun.Transport;
using Kcptun.Tunnel;

namespace Kcptun.Cli.Hosting;

/// <summary>
/// What a program run does for a service manager and for monitoring: the <c>--metrics</c> HTTP endpoint, systemd
/// notifications (<c>READY=1</c> once listening, <c>STOPPING=1</c> on shutdown, <c>WATCHDOG=1</c> keep-alives) and the
/// list of open sessions both use. <c>/healthz</c> is 200 once the program listens and until it stops, and on the
/// client only while a session to the server is open (the client dials with the first local connection).
/// </summary>
internal sealed class ServiceRuntime : IAsyncDisposable
{
    private readonly TunnelOptions _options;
    private readonly bool _needsSession;
    private readonly SystemdNotifier _notifier;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _watchdog;
    private MetricsHttpServer? _metrics;
    private int _state; // 0 starting, 1 ready, 2 stopping

    private ServiceRuntime(TunnelOptions options, bool needsSession, SystemdNotifier notifier, TimeProvider time)
    {
        _options = options;
        _needsSession = needsSession;
        _notifier = notifier;
        _watchdog = notifier.RunWatchdogAsync(time, _stop.Token);
    }

    /// <summary>The sessions of this run; the programs add each one they dial or accept.</summary>
    public SessionRegistry Sessions { get; } = new();

    /// <summary>Starts the notifier and, with <c>--metrics</c>, the HTTP endpoint (and logs where it listens).</summary>
    /// <exception cref="TunnelConfigurationException">The metrics address cannot be bound.</exception>
    public static ServiceRuntime Start(TunnelOptions options, bool needsSession, TunnelLog log, ProgramContext context)
    {
        var runtime = new ServiceRuntime(options, needsSession, SystemdNotifier.FromEnvironment(context.Environment), context.Time);
        if (options.Metrics.Length > 0)
        {
            if (!MetricsEndpoint.TryParse(options.Metrics, out var endPoint, out var problem))
            {
                runtime.Dispose();
                throw new TunnelConfigurationException(problem);
            }

            try
            {
                runtime._metrics = MetricsHttpServer.Start(endPoint, runtime.Route);
            }
            catch (SocketException e)
            {
                runtime.Dispose();
                throw new TunnelConfigurationException($"--metrics {options.Metrics}: cannot listen: {EndpointResolver.Describe(e)}", e);
            }

            log.Write($"metrics: http://{EndpointResolver.Format(runtime._metrics.LocalEndPoint)}/metrics and /healthz");
        }

        return runtime;
    }

    /// <summary>Records a session just dialled or accepted.</summary>
    public void Track(KcpSession session) => Sessions.Add(session);

    /// <summary>The program listens: tell systemd (<c>READY=1</c>) and let <c>/healthz</c> answer 200.</summary>
    public void Ready(string listeningOn)
    {
        Interlocked.CompareExchange(ref _state, 1, 0);
        _notifier.Notify($"READY=1\nSTATUS=listening on {listeningOn}");
    }

    /// <summary>Shutdown began: <c>STOPPING=1</c>, and <c>/healthz</c> answers 503.</summary>
    public void Stopping()
    {
        if (Interlocked.Exchange(ref _state, 2) != 2)
        {
            _notifier.Notify("STOPPING=1");
        }
    }

    /// <summary>Whether <c>/healthz</c> would answer 200 now, and why not.</summary>
    public (bool Healthy, string Reason) Health()
    {
        return Volatile.Read(ref _state) switch
        {
            0 => (false, "starting"),
            2 => (false, "stopping"),
            _ when _needsSession && Sessions.Open().Length == 0 => (false, "no session to the server is open"),
            _ => (true, "ok"),
        };
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        Stopping();
        await _stop.CancelAsync().ConfigureAwait(false);
        await _watchdog.ConfigureAwait(false);
        if (_metrics is not null)
        {
            await _metrics.DisposeAsync().ConfigureAwait(false);
        }

        _notifier.Dispose();
        _stop.Dispose();
    }

    private void Dispose()
    {
        _stop.Cancel();
        _notifier.Dispose();
    }

    private HttpReply? Route(string path)
    {
        switch (path)
        {
            case "/metrics":
                return new HttpReply(200, PrometheusTextWriter.ContentType, MetricsReport.Render(_options, Sessions, SnmpTotals.Shared.Sum(), TunnelGauges.Global));
            case "/healthz":
                var (healthy, reason) = Health();
                return new HttpReply(healthy ? 200 : 503, "text/plain; charset=utf-8", reason + "\n");
            default:
                return null;
        }
    }
}
