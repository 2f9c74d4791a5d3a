namespace Kcptun.Cli.Configuration;

/// <summary>
/// A command line that is not a valid use of the program (unknown flag, bad value, missing value). The message is
/// Go's wording without the <c>Incorrect Usage. </c> prefix, e.g. <c>flag provided but not defined: -bogus</c>.
/// </summary>
public sealed class CommandLineUsageException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CommandLineUsageException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public CommandLineUsageException()
        : this("incorrect usage")
    {
    }

    /// <summary>Creates the exception.</summary>
    public CommandLineUsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>What the command line asked for besides options.</summary>
internal enum CommandLineAction
{
    Run,
    Help,
    Version,
}

/// <summary>
/// Parses arguments the way kcptun's (urfave/cli over Go <c>flag</c>) does, docs/protocol/cli.md §1: one or two dashes for
/// every name, <c>-flag value</c> and <c>-flag=value</c>, booleans only take <c>=value</c>, parsing stops at the
/// first non-flag argument or after <c>--</c>, a first positional <c>help</c>/<c>h</c> shows the help, the last
/// occurrence of a flag wins.
/// </summary>
internal static class CommandLineParser
{
    /// <summary>Applies the flags in <paramref name="arguments"/> to <paramref name="options"/>.</summary>
    /// <exception cref="CommandLineUsageException">An unknown flag or a bad value.</exception>
    public static CommandLineAction Parse<T>(IReadOnlyList<OptionDefinition<T>> table, IReadOnlyList<string> arguments, ref T options)
        where T : TunnelOptions
    {
        var action = CommandLineAction.Run;
        var forms = new Dictionary<OptionDefinition<T>, string>();
        for (var i = 0; i < arguments.Count; i++)
        {
            var argument = arguments[i];
            if (argument.Length < 2 || argument[0] != '-')
            {
                // First positional argument: the rest is ignored, except the "help" command.
                return argument is "help" or "h" && action == CommandLineAction.Run ? CommandLineAction.Help : action;
            }

            var dashes = argument[1] == '-' ? 2 : 1;
            if (dashes == 2 && argument.Length == 2)
            {
                var next = i + 1 < arguments.Count ? arguments[i + 1] : null;
                return next is "help" or "h" && action == CommandLineAction.Run ? CommandLineAction.Help : action;
            }

            var name = argument[dashes..];
            if (name.Length == 0 || name[0] is '-' or '=')
            {
                throw new CommandLineUsageException($"bad flag syntax: {argument}");
            }

            string? value = null;
            var equals = name.IndexOf('=', StringComparison.Ordinal);
            if (equals >= 0)
            {
                value = name[(equals + 1)..];
                name = name[..equals];
            }

            var definition = Find(table, name)
                ?? throw new CommandLineUsageException($"flag provided but not defined: -{name}");
            CheckSingleForm(forms, definition, name);
            switch (definition.Kind)
            {
                case OptionKind.Help:
                    action = action == CommandLineAction.Run ? CommandLineAction.Help : action;
                    continue;
                case OptionKind.Version:
                    action = action == CommandLineAction.Run ? CommandLineAction.Version : action;
                    continue;
                case OptionKind.Bool:
                    var flag = true;
                    if (value is not null && !GoValueParser.TryParseBool(value, out flag))
                    {
                        throw new CommandLineUsageException($"invalid boolean value \"{value}\" for -{name}: parse error");
                    }

                    options = definition.SetBool!(options, flag);
                    continue;
            }

            if (value is null)
            {
                // Go takes the next argument as the value even when it starts with a dash.
                if (i + 1 >= arguments.Count)
                {
                    throw new CommandLineUsageException($"flag needs an argument: -{name}");
                }

                value = arguments[++i];
            }

            options = Apply(definition, options, value, text => new CommandLineUsageException($"invalid value \"{value}\" for flag -{name}: {text}"));
        }

        return action;
    }

    /// <summary>
    /// Go's urfave/cli refuses a flag given under both its names (<c>-r a --remoteaddr b</c>): which one was meant
    /// is not clear, so we refuse it too, in Go's words (short name first). The same name twice: the last wins.
    /// </summary>
    private static void CheckSingleForm<T>(Dictionary<OptionDefinition<T>, string> forms, OptionDefinition<T> definition, string name)
        where T : TunnelOptions
    {
        if (definition.ShortName is null)
        {
            return;
        }

        if (forms.TryGetValue(definition, out var earlier) && earlier != name)
        {
            throw new CommandLineUsageException($"Cannot use two forms of the same flag: {definition.ShortName} {definition.Name}");
        }

        forms[definition] = name;
    }

    /// <summary>The flag called <paramref name="name"/> (long or short, case-sensitive), or null.</summary>
    public static OptionDefinition<T>? Find<T>(IReadOnlyList<OptionDefinition<T>> table, string name)
        where T : TunnelOptions
    {
        foreach (var definition in table)
        {
            if (definition.Matches(name))
            {
                return definition;
            }
        }

        return null;
    }

    /// <summary>Parses <paramref name="value"/> as the flag's type and sets it; <paramref name="fail"/> builds the error.</summary>
    public static T Apply<T>(OptionDefinition<T> definition, T options, string value, Func<string, Exception> fail)
        where T : TunnelOptions
    {
        switch (definition.Kind)
        {
            case OptionKind.String:
                return definition.SetString!(options, value);
            case OptionKind.Int:
                var error = GoValueParser.TryParseInt32(value, out var number);
                return error == GoValueError.None ? definition.SetInt!(options, number) : throw fail(GoValueParser.Describe(error));
            case OptionKind.Bool:
                return GoValueParser.TryParseBool(value, out var flag) ? definition.SetBool!(options, flag) : throw fail("parse error");
            default:
                throw fail("not a setting");
        }
    }
}
