using Kcptun.Cli.Hosting;


namespace Kcptun.Tests.Tunnel;

/// <summary>Runs a program in-process with captured output and a fake environment.</summary>
internal static class ProgramRunner
{
    public sealed record Result(int ExitCode, string Out, string Error);

    public static Result Client(string[] args, IReadOnlyDictionary<string, string>? environment = null, CancellationToken shutdown = default) =>
        Run(ClientProgram.RunAsync, "kcptun-client", args, environment, shutdown);

    public static Result Server(string[] args, IReadOnlyDictionary<string, string>? environment = null, CancellationToken shutdown = default) =>
        Run(ServerProgram.RunAsync, "kcptun-server", args, environment, shutdown);

    public static Func<string, string?> Environment(IReadOnlyDictionary<string, string>? values) =>
        name => values is not null && values.TryGetValue(name, out var v) ? v : null;

    private static Result Run(Func<IReadOnlyList<string>, ProgramContext?, string, Task<int>> run, string programName, string[] args, IReadOnlyDictionary<string, string>? environment, CancellationToken shutdown)
    {
        var output = new StringWriter { NewLine = "\n" };
        var error = new StringWriter { NewLine = "\n" };
        var context = new ProgramContext
        {
            Out = output,
            Error = error,
            Environment = Environment(environment),
            HandleSignals = false,
            Shutdown = shutdown,
        };
        var task = run(args, context, programName);
        Assert.True(task.Wait(TimeSpan.FromSeconds(30), CancellationToken.None), "program did not finish");
        return new Result(task.Result, output.ToString(), error.ToString());
    }
}
