using System.Globalization;
using System.Text;

namespace Kcptun.Diagnostics;

/// <summary>
/// Writes the Prometheus text exposition format 0.0.4: per family one <c># HELP</c> and one <c># TYPE</c> line, then
/// its samples (<c>name{label="value"} number</c>), each line ending in <c>\n</c>. Label values are escaped
/// (backslash, double quote, newline); HELP text escapes backslash and newline. Names are the caller's and must
/// match <c>[a-zA-Z_:][a-zA-Z0-9_:]*</c>.
/// </summary>
public sealed class PrometheusTextWriter
{
    /// <summary>The Content-Type of this format.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly StringBuilder _text = new();

    /// <summary>Starts a family: its HELP and TYPE lines. <paramref name="type"/> is <c>counter</c> or <c>gauge</c>.</summary>
    public PrometheusTextWriter Family(string name, string type, string help)
    {
        CheckName(name);
        _text.Append("# HELP ").Append(name).Append(' ');
        foreach (var c in help)
        {
            _ = c switch
            {
                '\\' => _text.Append(@"\\"),
                '\n' => _text.Append(@"\n"),
                _ => _text.Append(c),
            };
        }

        _text.Append('\n').Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        return this;
    }

    /// <summary>Writes one sample without labels.</summary>
    public PrometheusTextWriter Sample(string name, double value) => Sample(name, value, []);

    /// <summary>Writes one sample with <paramref name="labels"/> (name, value) in the given order.</summary>
    public PrometheusTextWriter Sample(string name, double value, ReadOnlySpan<(string Name, string Value)> labels)
    {
        CheckName(name);
        _text.Append(name);
        if (labels.Length > 0)
        {
            _text.Append('{');
            for (var i = 0; i < labels.Length; i++)
            {
                if (i > 0)
                {
                    _text.Append(',');
                }

                _text.Append(labels[i].Name).Append("=\"");
                foreach (var c in labels[i].Value)
                {
                    _ = c switch
                    {
                        '\\' => _text.Append(@"\\"),
                        '"' => _text.Append("\\\""),
                        '\n' => _text.Append(@"\n"),
                        _ => _text.Append(c),
                    };
                }

                _text.Append('"');
            }

            _text.Append('}');
        }

        _text.Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        return this;
    }

    /// <inheritdoc/>
    public override string ToString() => _text.ToString();

    private static void CheckName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            var ok = c is '_' or ':' || char.IsAsciiLetter(c) || (i > 0 && char.IsAsciiDigit(c));
            if (!ok)
            {
                throw new ArgumentException($"not a Prometheus metric name: {name}", nameof(name));
            }
        }
    }
}
