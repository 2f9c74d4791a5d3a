using Kcptun.Cli.Configuration;
using Kcptun.Compression;
using Kcptun.Crypto;
using Kcptun.Tunnel;

namespace Kcptun.Cli.Hosting;

/// <summary>
/// What both programs share around their tunnel: configuration, the log, signals, the service runtime and the exit
/// code. <see cref="ClientProgram"/> and <see cref="ServerProgram"/> supply the table of flags and the core that runs
/// the tunnel.
/// </summary>
internal static class ProgramHost
{
    /// <summary>
    /// A program's whole life: read the configuration, answer <c>-h</c>/<c>-v</c>, validate, open the log, log the
    /// start-up lines, start the service runtime (metrics, systemd), run <paramref name="core"/> until SIGINT/SIGTERM
    /// or <see cref="ProgramContext.Shutdown"/>, exit.
    /// </summary>
    public static async Task<int> RunAsync<T>(
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
            using var signals = context.HandleSignals ? ShutdownSignals.Register(log, shutdown) : null;
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
    /// What a run does before any I/O: read the flags, the <c>-c</c> file and the environment, answer <c>-h</c>/<c>-v</c>,
    /// validate. Returns the exit code when the program ends there (help, version, usage or configuration error, each
    /// reported on <paramref name="context"/>), or null and the options to run.
    /// </summary>
    public static async Task<(int? Exit, T Options, int NegativeRateLimit)> ConfigureAsync<T>(
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

    /// <summary>Logs the start-up lines and what the run accepts but ignores.</summary>
    public static void LogCommon(TunnelOptions options, TunnelLog log, IEnumerable<string> lines)
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

    /// <summary>Wraps a session stream in snappy framing.</summary>
    public static readonly Func<Stream, Stream> Compress = static stream => new SnappyFramingStream(stream);

    /// <summary>Derives the packet key once per process (PBKDF2 is slow), logging before and after as kcptun does.</summary>
    public static byte[] DeriveKey(TunnelOptions options, TunnelLog log)
    {
        log.Write("initiating key derivation");
        var key = PacketProtection.DeriveKey(options.Key);
        log.Write("key derivation done");
        return key;
    }
}
