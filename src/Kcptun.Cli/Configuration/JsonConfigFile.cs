using System.Text;
using System.Text.Json;
using Kcptun.Tunnel;

namespace Kcptun.Cli.Configuration;

/// <summary>
/// The <c>-c config.json</c> overlay (docs/protocol/cli.md §3): every key present overrides the command line, keys match
/// case-insensitively and the last occurrence wins, unknown keys are ignored, types are strict (strings, integer
/// literals, booleans), <c>null</c> leaves a value unchanged, only the first JSON value of the file is read.
/// Errors name the file, the line and the column.
/// </summary>
internal static class JsonConfigFile
{
    /// <summary>Reads <paramref name="path"/> and applies it to <paramref name="options"/>.</summary>
    /// <exception cref="TunnelConfigurationException">The file cannot be read, is not JSON, or has a wrongly typed key.</exception>
    public static T Apply<T>(IReadOnlyList<OptionDefinition<T>> table, string path, T options)
        where T : TunnelOptions
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TunnelConfigurationException($"-c {path}: cannot read the config file: {e.Message}", e);
        }

        return Apply(table, path, bytes, options);
    }

    /// <summary>Applies JSON text; <paramref name="path"/> is only used in messages.</summary>
    public static T Apply<T>(IReadOnlyList<OptionDefinition<T>> table, string path, ReadOnlySpan<byte> json, T options)
        where T : TunnelOptions
    {
        if (json.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            json = json[3..];
        }

        var reader = new Utf8JsonReader(json, new JsonReaderOptions { AllowMultipleValues = true });
        var copy = json;
        try
        {
            if (!reader.Read())
            {
                throw new TunnelConfigurationException($"-c {path}: the file is empty; expected a JSON object");
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw Problem(path, copy, reader.TokenStartIndex, "expected a JSON object at the top level");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var keyStart = reader.TokenStartIndex;
                var key = ReadText(ref reader, path, copy, "a key");
                reader.Read();
                var definition = FindByJsonKey(table, key);
                if (definition is null || reader.TokenType == JsonTokenType.Null)
                {
                    reader.Skip();
                    continue;
                }

                options = ApplyValue(definition, options, ref reader, path, copy, keyStart, key);
            }
        }
        catch (JsonException e)
        {
            var line = (e.LineNumber ?? 0) + 1;
            var column = (e.BytePositionInLine ?? 0) + 1;
            throw new TunnelConfigurationException($"-c {path}: invalid JSON at line {line}, column {column}: {Reason(e)}", e);
        }

        return options;
    }

    private static T ApplyValue<T>(OptionDefinition<T> definition, T options, ref Utf8JsonReader reader, string path, ReadOnlySpan<byte> json, long keyStart, string key)
        where T : TunnelOptions
    {
        switch (definition.Kind)
        {
            case OptionKind.String when reader.TokenType == JsonTokenType.String:
                return definition.SetString!(options, ReadText(ref reader, path, json, $"\"{key}\""));
            case OptionKind.Bool when reader.TokenType is JsonTokenType.True or JsonTokenType.False:
                return definition.SetBool!(options, reader.GetBoolean());
            case OptionKind.Int when reader.TokenType == JsonTokenType.Number:
                var raw = reader.ValueSpan;
                if (raw.IndexOfAny("."u8) >= 0 || raw.IndexOfAny("eE"u8) >= 0)
                {
                    throw Problem(path, json, keyStart, $"\"{key}\" must be an integer, got {Encoding.UTF8.GetString(raw)}");
                }

                return reader.TryGetInt32(out var number)
                    ? definition.SetInt!(options, number)
                    : throw Problem(path, json, keyStart, $"\"{key}\" is out of range: {Encoding.UTF8.GetString(raw)}");
            default:
                var expected = definition.Kind switch
                {
                    OptionKind.String => "a string",
                    OptionKind.Int => "an integer",
                    _ => "true or false",
                };
                throw Problem(path, json, keyStart, $"\"{key}\" must be {expected}, got {Describe(reader.TokenType)}");
        }
    }

    /// <summary>
    /// The current string token as text. Go's decoder silently turns invalid UTF-8 and lone surrogate escapes
    /// (<c>"\ud800"</c>) into U+FFFD; a key or address changed that way would not be what the user wrote (and a
    /// <c>--key</c> would derive a different secret than intended), so the file is refused with the position instead.
    /// </summary>
    private static string ReadText(ref Utf8JsonReader reader, string path, ReadOnlySpan<byte> json, string what)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw Problem(path, json, reader.TokenStartIndex, $"{what} is not valid text (invalid UTF-8, or a \\u escape that is a lone UTF-16 surrogate)");
        }
    }

    private static OptionDefinition<T>? FindByJsonKey<T>(IReadOnlyList<OptionDefinition<T>> table, string key)
        where T : TunnelOptions
    {
        foreach (var definition in table)
        {
            if (definition.JsonKey is not null && string.Equals(definition.JsonKey, key, StringComparison.OrdinalIgnoreCase))
            {
                return definition;
            }
        }

        return null;
    }

    private static TunnelConfigurationException Problem(string path, ReadOnlySpan<byte> json, long offset, string message)
    {
        var line = 1;
        var column = 1;
        for (var i = 0; i < offset && i < json.Length; i++)
        {
            if (json[i] == (byte)'\n')
            {
                line++;
                column = 1;
            }
            else
            {
                column++;
            }
        }

        return new TunnelConfigurationException($"-c {path}: line {line}, column {column}: {message}");
    }

    private static string Describe(JsonTokenType type) => type switch
    {
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        _ => type.ToString(),
    };

    // System.Text.Json appends " LineNumber: n | BytePositionInLine: m." to its messages; we print our own position.
    private static string Reason(JsonException e)
    {
        var message = e.Message;
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).TrimEnd('.', ' ');
    }
}
