using System.Reflection;
using System.Text;

namespace Kcptun.Cli.Configuration;

/// <summary>
/// The <c>-h</c> text in urfave/cli's layout (docs/protocol/cli.md §8): NAME, USAGE, VERSION, COMMANDS, GLOBAL OPTIONS with
/// the option column padded to the longest entry plus two spaces; hidden flags are left out.
/// </summary>
internal static class HelpText
{
    /// <summary>The version this build reports (<c>-v</c>, <c>version:</c> log line).</summary>
    public static string Version { get; } = ReadVersion();

    public static string Build<T>(IReadOnlyList<OptionDefinition<T>> table, string programName, string role, T defaults)
        where T : TunnelOptions
    {
        var rows = new List<(string Names, string Usage)>();
        foreach (var definition in table)
        {
            if (definition.Hidden)
            {
                continue;
            }

            var valueSuffix = definition.TakesValue ? " value" : "";
            var names = Dash(definition.Name) + definition.Name + valueSuffix;
            if (definition.ShortName is { } shortName)
            {
                names += ", " + Dash(shortName) + shortName + valueSuffix;
            }

            var usage = definition.Usage;
            if (definition.DefaultText(defaults) is { } defaultText)
            {
                usage += $" (default: {defaultText})";
            }

            if (definition.EnvironmentVariable is { } variable)
            {
                usage += $" [${variable}]";
            }

            rows.Add((names, usage));
        }

        var width = rows.Max(r => r.Names.Length) + 2;
        var text = new StringBuilder();
        text.Append("NAME:\n");
        text.Append($"   kcptun - {role}(with SMUX), the .NET build\n\n");
        text.Append("USAGE:\n");
        text.Append($"   {programName} [global options] command [command options] [arguments...]\n\n");
        text.Append("VERSION:\n");
        text.Append($"   {Version}\n\n");
        text.Append("COMMANDS:\n");
        text.Append("   help, h  Shows a list of commands or help for one command\n\n");
        text.Append("GLOBAL OPTIONS:\n");
        foreach (var (names, usage) in rows)
        {
            text.Append("   ").Append(names.PadRight(width)).Append(usage).Append('\n');
        }

        return text.ToString();
    }

    private static string Dash(string name) => name.Length == 1 ? "-" : "--";

    private static string ReadVersion()
    {
        var informational = typeof(HelpText).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (string.IsNullOrEmpty(informational))
        {
            return "SELFBUILD-dotnet";
        }

        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        return (plus > 0 ? informational[..plus] : informational) + "-dotnet";
    }
}
