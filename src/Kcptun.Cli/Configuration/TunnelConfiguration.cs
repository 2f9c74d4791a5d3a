using Kcptun.Tunnel;

namespace Kcptun.Cli.Configuration;

/// <summary>The result of reading a program's configuration: what to do and the merged options.</summary>
internal readonly record struct LoadedConfiguration<T>(CommandLineAction Action, T Options)
    where T : TunnelOptions;

/// <summary>
/// Builds the options the way kcptun does (docs/protocol/cli.md §2), then SIP003: built-in defaults, <c>KCPTUN_KEY</c>,
/// command line, the <c>-c</c> JSON file (wins over the command line), the SIP003 environment (wins over both).
/// The mode profile is applied when the options are used (<see cref="TunnelOptions.Kcp"/>). Nothing is validated
/// here: call <see cref="TunnelOptions.Validate"/>.
/// </summary>
internal static class TunnelConfiguration
{
    public const string KeyVariable = "KCPTUN_KEY";

    /// <exception cref="CommandLineUsageException">Bad command line.</exception>
    /// <exception cref="TunnelConfigurationException">Bad JSON file or plugin options.</exception>
    public static LoadedConfiguration<ClientOptions> LoadClient(IReadOnlyList<string> arguments, Func<string, string?> environment)
    {
        var loaded = Load(TunnelFlags.Client, new ClientOptions(), arguments, environment);
        return loaded.Action == CommandLineAction.Run ? loaded with { Options = PluginEnvironment.Apply(loaded.Options, environment) } : loaded;
    }

    /// <exception cref="CommandLineUsageException">Bad command line.</exception>
    /// <exception cref="TunnelConfigurationException">Bad JSON file or plugin options.</exception>
    public static LoadedConfiguration<ServerOptions> LoadServer(IReadOnlyList<string> arguments, Func<string, string?> environment)
    {
        var loaded = Load(TunnelFlags.Server, new ServerOptions(), arguments, environment);
        return loaded.Action == CommandLineAction.Run ? loaded with { Options = PluginEnvironment.Apply(loaded.Options, environment) } : loaded;
    }

    private static LoadedConfiguration<T> Load<T>(IReadOnlyList<OptionDefinition<T>> table, T options, IReadOnlyList<string> arguments, Func<string, string?> environment)
        where T : TunnelOptions
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(environment);
        if (environment(KeyVariable) is { Length: > 0 } key)
        {
            options = (T)(options with { Key = key });
        }

        var action = CommandLineParser.Parse(table, arguments, ref options);
        if (action == CommandLineAction.Run && options.ConfigFile.Length > 0)
        {
            options = JsonConfigFile.Apply(table, options.ConfigFile, options);
        }

        return new LoadedConfiguration<T>(action, options);
    }
}
