using System.Globalization;
using System.Text;

namespace Kcptun.Cli.Configuration;

/// <summary>
/// Formats a time with a Go reference-time layout (<c>2006-01-02 15:04:05</c>), as kcptun does with the file name of
/// <c>--snmplog</c> (docs/protocol/programs.md §10.8). Every element Go 1.19 recognises is handled, anywhere in the text, so a bare
/// digit 1..5 in a file name is replaced exactly as the Go programs replace it.
/// </summary>
public static class GoTimeLayout
{
    private static readonly string[] s_longMonths = CultureInfo.InvariantCulture.DateTimeFormat.MonthNames;
    private static readonly string[] s_shortMonths = CultureInfo.InvariantCulture.DateTimeFormat.AbbreviatedMonthNames;
    private static readonly string[] s_longDays = CultureInfo.InvariantCulture.DateTimeFormat.DayNames;
    private static readonly string[] s_shortDays = CultureInfo.InvariantCulture.DateTimeFormat.AbbreviatedDayNames;

    /// <summary>Formats <paramref name="time"/> (its own offset is the zone) with the Go <paramref name="layout"/>.</summary>
    public static string Format(DateTimeOffset time, string layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var output = new StringBuilder(layout.Length + 8);
        var i = 0;
        while (i < layout.Length)
        {
            var consumed = TryElement(layout, i, time, output);
            if (consumed == 0)
            {
                output.Append(layout[i]);
                consumed = 1;
            }

            i += consumed;
        }

        return output.ToString();
    }

    // Writes the element starting at layout[i] and returns its length, or 0 for a literal character.
    private static int TryElement(string layout, int i, DateTimeOffset t, StringBuilder o)
    {
        var rest = layout.AsSpan(i);
        var hour12 = t.Hour % 12 == 0 ? 12 : t.Hour % 12;
        switch (rest[0])
        {
            case 'J':
                if (rest.StartsWith("January", StringComparison.Ordinal))
                {
                    o.Append(s_longMonths[t.Month - 1]);
                    return 7;
                }

                if (rest.StartsWith("Jan", StringComparison.Ordinal) && !StartsWithLower(rest[3..]))
                {
                    o.Append(s_shortMonths[t.Month - 1]);
                    return 3;
                }

                return 0;
            case 'M':
                if (rest.StartsWith("Monday", StringComparison.Ordinal))
                {
                    o.Append(s_longDays[(int)t.DayOfWeek]);
                    return 6;
                }

                if (rest.StartsWith("Mon", StringComparison.Ordinal) && !StartsWithLower(rest[3..]))
                {
                    o.Append(s_shortDays[(int)t.DayOfWeek]);
                    return 3;
                }

                if (rest.StartsWith("MST", StringComparison.Ordinal))
                {
                    // .NET has no zone abbreviations; Go prints the numeric offset when it lacks one too.
                    o.Append(t.Offset == TimeSpan.Zero ? "UTC" : Offset(t.Offset, colon: false, seconds: false, shortForm: false));
                    return 3;
                }

                return 0;
            case '0':
                if (rest.Length >= 3 && rest[1] == '0' && rest[2] == '2')
                {
                    o.Append(t.DayOfYear.ToString("000", CultureInfo.InvariantCulture));
                    return 3;
                }

                if (rest.Length >= 2 && rest[1] is >= '1' and <= '6')
                {
                    var value = rest[1] switch
                    {
                        '1' => t.Month,
                        '2' => t.Day,
                        '3' => hour12,
                        '4' => t.Minute,
                        '5' => t.Second,
                        _ => t.Year % 100,
                    };
                    o.Append(value.ToString("00", CultureInfo.InvariantCulture));
                    return 2;
                }

                return 0;
            case '1':
                if (rest.StartsWith("15", StringComparison.Ordinal))
                {
                    o.Append(t.Hour.ToString(CultureInfo.InvariantCulture));
                    return 2;
                }

                o.Append(t.Month.ToString(CultureInfo.InvariantCulture));
                return 1;
            case '2':
                if (rest.StartsWith("2006", StringComparison.Ordinal))
                {
                    o.Append(t.Year.ToString("0000", CultureInfo.InvariantCulture));
                    return 4;
                }

                o.Append(t.Day.ToString(CultureInfo.InvariantCulture));
                return 1;
            case '_':
                if (rest.Length >= 2 && rest[1] == '2')
                {
                    if (rest.StartsWith("_2006", StringComparison.Ordinal))
                    {
                        return 0; // a literal '_' followed by the year
                    }

                    o.Append(t.Day.ToString(CultureInfo.InvariantCulture).PadLeft(2));
                    return 2;
                }

                if (rest.Length >= 3 && rest[1] == '_' && rest[2] == '2')
                {
                    o.Append(t.DayOfYear.ToString(CultureInfo.InvariantCulture).PadLeft(3));
                    return 3;
                }

                return 0;
            case '3':
                o.Append(hour12.ToString(CultureInfo.InvariantCulture));
                return 1;
            case '4':
                o.Append(t.Minute.ToString(CultureInfo.InvariantCulture));
                return 1;
            case '5':
                o.Append(t.Second.ToString(CultureInfo.InvariantCulture));
                return 1;
            case 'P' when rest.StartsWith("PM", StringComparison.Ordinal):
                o.Append(t.Hour >= 12 ? "PM" : "AM");
                return 2;
            case 'p' when rest.StartsWith("pm", StringComparison.Ordinal):
                o.Append(t.Hour >= 12 ? "pm" : "am");
                return 2;
            case '-' or 'Z':
                return Zone(rest, t, o);
            case '.' or ',':
                return Fraction(rest, t, o);
            default:
                return 0;
        }
    }

    private static int Zone(ReadOnlySpan<char> rest, DateTimeOffset t, StringBuilder o)
    {
        var iso = rest[0] == 'Z';
        ReadOnlySpan<string> forms = ["070000", "07:00:00", "0700", "07:00", "07"];
        foreach (var form in forms)
        {
            if (rest.Length > form.Length && rest[1..].StartsWith(form, StringComparison.Ordinal))
            {
                if (iso && t.Offset == TimeSpan.Zero)
                {
                    o.Append('Z');
                }
                else
                {
                    var colon = form.Contains(':', StringComparison.Ordinal);
                    var seconds = form.Length >= 6;
                    o.Append(Offset(t.Offset, colon, seconds, shortForm: form == "07"));
                }

                return form.Length + 1;
            }
        }

        return 0;
    }

    private static string Offset(TimeSpan offset, bool colon, bool seconds, bool shortForm)
    {
        var sign = offset < TimeSpan.Zero ? '-' : '+';
        offset = offset.Duration();
        var text = new StringBuilder().Append(sign).Append(offset.Hours.ToString("00", CultureInfo.InvariantCulture));
        if (shortForm)
        {
            return text.ToString();
        }

        text.Append(colon ? ":" : "").Append(offset.Minutes.ToString("00", CultureInfo.InvariantCulture));
        if (seconds)
        {
            text.Append(colon ? ":" : "").Append(offset.Seconds.ToString("00", CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    // ".000" / ",999": a run of one digit (0 or 9) after the separator, not followed by another digit.
    private static int Fraction(ReadOnlySpan<char> rest, DateTimeOffset t, StringBuilder o)
    {
        if (rest.Length < 2 || rest[1] is not ('0' or '9'))
        {
            return 0;
        }

        var digit = rest[1];
        var end = 1;
        while (end < rest.Length && rest[end] == digit)
        {
            end++;
        }

        if (end < rest.Length && char.IsAsciiDigit(rest[end]))
        {
            return 0;
        }

        var count = Math.Min(end - 1, 9);
        var nanoseconds = (t.Ticks % TimeSpan.TicksPerSecond) * 100;
        var digits = nanoseconds.ToString("000000000", CultureInfo.InvariantCulture)[..count];
        if (digit == '9')
        {
            digits = digits.TrimEnd('0');
            if (digits.Length == 0)
            {
                return end;
            }
        }

        o.Append(rest[0]).Append(digits);
        return end;
    }

    private static bool StartsWithLower(ReadOnlySpan<char> text) => text.Length > 0 && text[0] is >= 'a' and <= 'z';
}
