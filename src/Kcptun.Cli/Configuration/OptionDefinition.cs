namespace Kcptun.Cli.Configuration;

/// <summary>The value type of a flag, which decides how its text, JSON value and plugin option are parsed.</summary>
internal enum OptionKind
{
    String,
    Int,
    Bool,
    /// <summary><c>--help</c>, <c>-h</c>.</summary>
    Help,
    /// <summary><c>--version</c>, <c>-v</c>.</summary>
    Version,
}

/// <summary>
/// One flag of a program: its names, type, JSON key, help line and how it sets the options record. The same
/// definition serves the command line, the <c>-c</c> JSON file and the SIP003 plugin options.
/// </summary>
internal sealed class OptionDefinition<T>
    where T : TunnelOptions
{
    private OptionDefinition(string name, string? shortName, OptionKind kind, string usage)
    {
        Name = name;
        ShortName = shortName;
        Kind = kind;
        Usage = usage;
    }

    /// <summary>Long name as Go spells it (case-sensitive: <c>QPP</c>, <c>QPPCount</c>).</summary>
    public string Name { get; }

    /// <summary>Alternative name (<c>l</c>, <c>r</c>, <c>t</c>, <c>ds</c>, <c>ps</c>, <c>h</c>, <c>v</c>), or null.</summary>
    public string? ShortName { get; }

    public OptionKind Kind { get; }

    /// <summary>Help text without the default part.</summary>
    public string Usage { get; }

    /// <summary>JSON key (matched case-insensitively), or null when the JSON file cannot set it.</summary>
    public string? JsonKey { get; private init; }

    /// <summary>Accepted but not listed by <c>-h</c>.</summary>
    public bool Hidden { get; private init; }

    /// <summary>Environment variable shown in the help (<c>[$KCPTUN_KEY]</c>), or null.</summary>
    public string? EnvironmentVariable { get; private init; }

    /// <summary>The <c>(default: ...)</c> text of the help, or null for none.</summary>
    public Func<T, string?> DefaultText { get; private init; } = _ => null;

    public Func<T, string, T>? SetString { get; private init; }

    public Func<T, int, T>? SetInt { get; private init; }

    public Func<T, bool, T>? SetBool { get; private init; }

    /// <summary>Whether the flag takes a value on the command line (everything but booleans, help and version).</summary>
    public bool TakesValue => Kind is OptionKind.String or OptionKind.Int;

    /// <summary>A string flag; the help shows a non-empty default in quotes.</summary>
    public static OptionDefinition<T> String(string name, string? shortName, string usage, Func<T, string> get, Func<T, string, T> set, bool json = true, string? environmentVariable = null) =>
        new(name, shortName, OptionKind.String, usage)
        {
            JsonKey = json ? name : null,
            SetString = set,
            EnvironmentVariable = environmentVariable,
            DefaultText = o => get(o) is { Length: > 0 } v ? $"\"{v}\"" : null,
        };

    /// <summary>An integer flag; the help shows its default (or <paramref name="defaultText"/>).</summary>
    public static OptionDefinition<T> Int(string name, string? shortName, string usage, Func<T, int?> get, Func<T, int, T> set, string? jsonKey = "", bool hidden = false, string? defaultText = null) =>
        new(name, shortName, OptionKind.Int, usage)
        {
            JsonKey = jsonKey == "" ? name : jsonKey,
            SetInt = set,
            Hidden = hidden,
            DefaultText = o => defaultText ?? get(o)?.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };

    /// <summary>A boolean flag (no default shown, like Go's help).</summary>
    public static OptionDefinition<T> Bool(string name, string usage, Func<T, bool, T> set, string? jsonKey = "", bool hidden = false) =>
        new(name, null, OptionKind.Bool, usage) { JsonKey = jsonKey == "" ? name : jsonKey, SetBool = set, Hidden = hidden };

    public static OptionDefinition<T> Help() => new("help", "h", OptionKind.Help, "show help");

    public static OptionDefinition<T> Version() => new("version", "v", OptionKind.Version, "print the version");

    /// <summary>Whether <paramref name="name"/> (without dashes) names this flag.</summary>
    public bool Matches(string name) => name == Name || (ShortName is not null && name == ShortName);
}
