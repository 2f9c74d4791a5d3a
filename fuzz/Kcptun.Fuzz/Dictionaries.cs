using System.Text;
using Kcptun.Cli.Configuration;
using Kcptun.Crypto;

namespace Kcptun.Fuzz;

/// <summary>
/// afl-fuzz dictionaries (fuzz/dict/TARGET.dict) for the config targets: every flag and JSON key of both programs,
/// the cipher and mode names, the SIP003 separators. afl-fuzz splices these tokens in, which reaches the option
/// parsers far sooner than byte flips do. Written by <c>Kcptun.Fuzz dict OUT_DIR</c>.
/// </summary>
internal static class Dictionaries
{
    public static void Write(string output)
    {
        var flags = new SortedSet<string>(StringComparer.Ordinal);
        var keys = new SortedSet<string>(StringComparer.Ordinal);
        Collect(TunnelFlags.Client, flags, keys);
        Collect(TunnelFlags.Server, flags, keys);
        var values = new SortedSet<string>(StringComparer.Ordinal) { "true", "false", "0", "-1", "2147483647", "65535", "1500", "127.0.0.1:4000", ":29900", "[::1]:1-65535" };
        values.UnionWith(PacketProtection.Names(WireGeneration.Latest));
        values.UnionWith(KcpModes.Names);

        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, "argv.dict"), Build(flags.SelectMany(f => new[] { "-" + f, "--" + f, "--" + f + "=" }).Concat(values)));
        File.WriteAllText(Path.Combine(output, "json.dict"), Build(keys.Select(k => $"\"{k}\":").Concat(values.Select(v => $"\"{v}\"")).Concat(["{", "}", "[", "]", "null", "true", "false", "\\u0000", "\\ud800"])));
        File.WriteAllText(Path.Combine(output, "sip003.dict"), Build(keys.Concat(flags).Select(k => k + "=").Concat(values).Concat([";", "\\", "\\;", "\\="])));
    }

    private static void Collect<T>(IReadOnlyList<OptionDefinition<T>> table, SortedSet<string> flags, SortedSet<string> keys)
        where T : TunnelOptions
    {
        foreach (var definition in table)
        {
            flags.Add(definition.Name);
            if (definition.ShortName is { } shortName)
            {
                flags.Add(shortName);
            }

            if (definition.JsonKey is { } key)
            {
                keys.Add(key);
            }
        }
    }

    // One "token" a line, escaped as afl-fuzz reads it (backslash, quote and non-printable bytes as \xNN).
    private static string Build(IEnumerable<string> tokens)
    {
        var text = new StringBuilder();
        foreach (var token in tokens.Distinct())
        {
            text.Append('"');
            foreach (var b in Encoding.UTF8.GetBytes(token))
            {
                text.Append(b is < 0x20 or >= 0x7F or (byte)'"' or (byte)'\\' ? $"\\x{b:X2}" : ((char)b).ToString());
            }

            text.Append("\"\n");
        }

        return text.ToString();
    }
}
