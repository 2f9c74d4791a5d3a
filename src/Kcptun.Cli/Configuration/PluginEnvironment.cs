using System.Text;
using Kcptun.Tunnel;

namespace Kcptun.Cli.Configuration;

/// <summary>
/// Shadowsocks SIP003 plugin mode (docs/protocol/sip003.md): when <c>SS_REMOTE_HOST</c>, <c>SS_REMOTE_PORT</c> and
/// <c>SS_LOCAL_HOST</c> are all set, the addresses come from the environment and <c>SS_PLUGIN_OPTIONS</c>
/// (<c>key=value;key2=value2</c>, backslash escapes, a bare key means <c>1</c>) sets further options. Applied after the
/// command line and the JSON file, so it wins. Values that do not parse are refused (the fork ignored them).
/// </summary>
internal static class PluginEnvironment
{
    /// <summary>Whether the environment turns plugin mode on.</summary>
    public static bool IsActive(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return !string.IsNullOrEmpty(environment("SS_REMOTE_HOST"))
            && !string.IsNullOrEmpty(environment("SS_REMOTE_PORT"))
            && !string.IsNullOrEmpty(environment("SS_LOCAL_HOST"));
    }

    /// <summary>Client: remote = SS_REMOTE_HOST:SS_REMOTE_PORT, local = SS_LOCAL_HOST:SS_LOCAL_PORT, then the options.</summary>
    public static ClientOptions Apply(ClientOptions options, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!IsActive(environment))
        {
            return options;
        }

        options = options with
        {
            RemoteAddress = AddressSyntax.JoinHostPort(environment("SS_REMOTE_HOST")!, environment("SS_REMOTE_PORT")!),
            LocalAddress = AddressSyntax.JoinHostPort(environment("SS_LOCAL_HOST")!, environment("SS_LOCAL_PORT") ?? ""),
        };
        return ApplyOptions(TunnelFlags.Client, options, environment("SS_PLUGIN_OPTIONS"));
    }

    /// <summary>Server: listen = SS_REMOTE_HOST:SS_REMOTE_PORT, target = SS_LOCAL_HOST:SS_LOCAL_PORT, then the options.</summary>
    public static ServerOptions Apply(ServerOptions options, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!IsActive(environment))
        {
            return options;
        }

        options = options with
        {
            Listen = AddressSyntax.JoinHostPort(environment("SS_REMOTE_HOST")!, environment("SS_REMOTE_PORT")!),
            Target = AddressSyntax.JoinHostPort(environment("SS_LOCAL_HOST")!, environment("SS_LOCAL_PORT") ?? ""),
        };
        return ApplyOptions(TunnelFlags.Server, options, environment("SS_PLUGIN_OPTIONS"));
    }

    /// <summary>
    /// Splits <c>SS_PLUGIN_OPTIONS</c> into key/value pairs: <c>;</c> between pairs, <c>=</c> between key and value,
    /// <c>\</c> escapes the next character; a key without <c>=</c> gets the value <c>1</c>; empty pairs are skipped.
    /// </summary>
    public static List<KeyValuePair<string, string>> ParseOptions(string? text)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        if (string.IsNullOrEmpty(text))
        {
            return pairs;
        }

        var key = new StringBuilder();
        var value = new StringBuilder();
        var inValue = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\\' && i + 1 < text.Length)
            {
                (inValue ? value : key).Append(text[++i]);
            }
            else if (c == ';')
            {
                Flush();
            }
            else if (c == '=' && !inValue)
            {
                inValue = true;
            }
            else
            {
                (inValue ? value : key).Append(c);
            }
        }

        Flush();
        return pairs;

        void Flush()
        {
            var name = key.ToString().Trim();
            if (name.Length > 0)
            {
                pairs.Add(new(name, inValue ? value.ToString() : "1"));
            }

            key.Clear();
            value.Clear();
            inValue = false;
        }
    }

    private static T ApplyOptions<T>(IReadOnlyList<OptionDefinition<T>> table, T options, string? text)
        where T : TunnelOptions
    {
        var problems = new List<string>();
        foreach (var (key, value) in ParseOptions(text))
        {
            var definition = Find(table, key);
            if (definition is null)
            {
                problems.Add($"SS_PLUGIN_OPTIONS: unknown option \"{key}\"");
                continue;
            }

            try
            {
                options = CommandLineParser.Apply(definition, options, value, reason => new TunnelConfigurationException(
                    $"SS_PLUGIN_OPTIONS: invalid value \"{value}\" for {key}: {reason}"));
            }
            catch (TunnelConfigurationException e)
            {
                problems.Add(e.Message);
            }
        }

        return problems.Count == 0 ? options : throw new TunnelConfigurationException(problems);
    }

    // Keys are the JSON names (case-insensitive, as in the JSON file) or the flag names (qpp-count and QPPCount).
    private static OptionDefinition<T>? Find<T>(IReadOnlyList<OptionDefinition<T>> table, string key)
        where T : TunnelOptions
    {
        foreach (var definition in table)
        {
            if (definition.Kind is OptionKind.Help or OptionKind.Version || definition.Name == "c")
            {
                continue;
            }

            if ((definition.JsonKey is not null && string.Equals(definition.JsonKey, key, StringComparison.OrdinalIgnoreCase)) || definition.Matches(key))
            {
                return definition;
            }
        }

        return null;
    }
}
