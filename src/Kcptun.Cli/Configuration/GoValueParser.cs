namespace Kcptun.Cli.Configuration;

/// <summary>Why a flag value was rejected, in the words of Go's flag package.</summary>
internal enum GoValueError
{
    None,
    /// <summary>Go: <c>parse error</c>.</summary>
    Syntax,
    /// <summary>Go: <c>value out of range</c>.</summary>
    Range,
}

/// <summary>
/// Value parsing exactly as kcptun's command line does it (Go <c>strconv.ParseInt(s, 0, 64)</c> and
/// <c>strconv.ParseBool</c>), so that a command line written for the Go programs means the same here.
/// </summary>
internal static class GoValueParser
{
    /// <summary>
    /// Integer literal with Go base-0 rules: optional sign, then decimal, <c>0x</c> hex, <c>0b</c> binary,
    /// <c>0o</c> or a leading <c>0</c> octal, with <c>_</c> allowed between digits. The result must fit an
    /// <see cref="int"/> (our options are 32-bit; larger values are "out of range").
    /// </summary>
    public static GoValueError TryParseInt32(string text, out int value)
    {
        value = 0;
        var error = TryParseInt64(text, out var wide);
        if (error != GoValueError.None)
        {
            return error;
        }

        if (wide is < int.MinValue or > int.MaxValue)
        {
            return GoValueError.Range;
        }

        value = (int)wide;
        return GoValueError.None;
    }

    /// <summary>64-bit variant of <see cref="TryParseInt32"/>.</summary>
    public static GoValueError TryParseInt64(string text, out long value)
    {
        value = 0;
        ReadOnlySpan<char> s = text;
        if (s.IsEmpty)
        {
            return GoValueError.Syntax;
        }

        var negative = false;
        if (s[0] is '+' or '-')
        {
            negative = s[0] == '-';
            s = s[1..];
        }

        var radix = 10;
        var prefixed = false;
        if (s.Length >= 2 && s[0] == '0')
        {
            switch (char.ToLowerInvariant(s[1]))
            {
                case 'x': radix = 16; s = s[2..]; prefixed = true; break;
                case 'b': radix = 2; s = s[2..]; prefixed = true; break;
                case 'o': radix = 8; s = s[2..]; prefixed = true; break;
                default: radix = 8; s = s[1..]; prefixed = true; break;
            }
        }

        if (s.IsEmpty && !(prefixed && radix == 8))
        {
            return GoValueError.Syntax;
        }

        // Underscores: only between digits or right after a base prefix (Go integer literal syntax).
        var previousWasDigit = prefixed;
        ulong magnitude = 0;
        var overflow = false;
        var digits = 0;
        foreach (var c in s)
        {
            if (c == '_')
            {
                if (!previousWasDigit)
                {
                    return GoValueError.Syntax;
                }

                previousWasDigit = false;
                continue;
            }

            var digit = c switch
            {
                >= '0' and <= '9' => c - '0',
                >= 'a' and <= 'z' => c - 'a' + 10,
                >= 'A' and <= 'Z' => c - 'A' + 10,
                _ => 99,
            };
            if (digit >= radix)
            {
                return GoValueError.Syntax;
            }

            previousWasDigit = true;
            digits++;
            if (!overflow)
            {
                var next = (magnitude * (ulong)radix) + (ulong)digit;
                if (magnitude > (ulong.MaxValue - (ulong)digit) / (ulong)radix || next > 1UL << 63)
                {
                    overflow = true;
                }
                else
                {
                    magnitude = next;
                }
            }
        }

        if (!previousWasDigit && digits > 0)
        {
            return GoValueError.Syntax; // trailing underscore
        }

        if (overflow || (!negative && magnitude > long.MaxValue))
        {
            return GoValueError.Range;
        }

        value = negative ? (long)(0 - magnitude) : (long)magnitude;
        return GoValueError.None;
    }

    /// <summary>Go <c>strconv.ParseBool</c>: 1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False.</summary>
    public static bool TryParseBool(string text, out bool value)
    {
        switch (text)
        {
            case "1" or "t" or "T" or "TRUE" or "true" or "True":
                value = true;
                return true;
            case "0" or "f" or "F" or "FALSE" or "false" or "False":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }

    /// <summary>Go's wording for an <see cref="GoValueError"/>.</summary>
    public static string Describe(GoValueError error) => error == GoValueError.Range ? "value out of range" : "parse error";
}
