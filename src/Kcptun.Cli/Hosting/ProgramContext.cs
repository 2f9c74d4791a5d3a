namespace Kcptun.Cli.Hosting;

/// <summary>
/// What a program run talks to: its output streams, environment, clock and shutdown signal. The defaults are the
/// real process's; tests pass their own to run a program in-process.
/// </summary>
public sealed class ProgramContext
{
    /// <summary>Help and version output (stdout).</summary>
    public TextWriter Out { get; init; } = Console.Out;

    /// <summary>Errors and the log when there is no <c>--log</c> file (stderr).</summary>
    public TextWriter Error { get; init; } = Console.Error;

    /// <summary>Environment lookup (<c>KCPTUN_KEY</c>, the SIP003 variables).</summary>
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    /// <summary>Clock for log time stamps and the SNMP CSV period.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Whether to handle SIGINT/SIGTERM (clean shutdown) and SIGUSR1 (SNMP dump). Off for in-process tests.</summary>
    public bool HandleSignals { get; init; } = true;

    /// <summary>Stops the program as SIGTERM would.</summary>
    public CancellationToken Shutdown { get; init; }

    /// <summary>Called with the address the program listens on once it is ready (tests use it to find port 0).</summary>
    public Action<string>? Listening { get; init; }
}

/// <summary>The programs' exit codes.</summary>
public static class ExitCodes
{
    /// <summary>Help, version, or a clean shutdown on SIGINT/SIGTERM.</summary>
    public const int Success = 0;

    /// <summary>
    /// Invalid configuration (flag values, JSON file, plugin options), or a listen address that cannot be used: 255,
    /// the status Go kcptun exits with on the same errors (its <c>os.Exit(-1)</c>), so scripts see the same code.
    /// </summary>
    public const int Configuration = 255;

    /// <summary>
    /// Incorrect usage: unknown flag, unparsable value, two forms of one flag. Go kcptun exits 0 here (urfave/cli
    /// prints the help and returns); a deliberate difference: a shell script or a SIP003 host must see that the
    /// program did not run (docs/compatibility.md).
    /// </summary>
    public const int Usage = 2;
}
