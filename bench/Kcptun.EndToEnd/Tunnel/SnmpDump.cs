using System.Globalization;
using System.Text.RegularExpressions;

namespace Kcptun.EndToEnd.Tunnel;

/// <summary>
/// Parses the line a kcptun program logs on SIGUSR1: <c>KCP SNMP:&amp;{BytesSent:94 BytesReceived:110 ...}</c>
/// (Go's <c>%+v</c> of the counter struct). Field names are kept as written, so any generation's set parses.
/// </summary>
public static partial class SnmpDump
{
    /// <summary>The marker that starts the dump in a log line.</summary>
    public const string Marker = "KCP SNMP:";

    /// <summary>Reads every <c>Name:value</c> counter of a dump line; false when the line holds no dump.</summary>
    public static bool TryParse(string line, out Dictionary<string, long> counters)
    {
        ArgumentNullException.ThrowIfNull(line);
        counters = [];
        var start = line.IndexOf(Marker, StringComparison.Ordinal);
        if (start < 0)
        {
            return false;
        }

        var body = line[(start + Marker.Length)..];
        var open = body.IndexOf('{', StringComparison.Ordinal);
        var close = body.LastIndexOf('}');
        if (open < 0 || close < open)
        {
            return false;
        }

        foreach (Match m in Pair().Matches(body[(open + 1)..close]))
        {
            counters[m.Groups[1].Value] = long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        }

        return counters.Count > 0;
    }

    [GeneratedRegex(@"([A-Za-z][A-Za-z0-9]*):(-?[0-9]+)")]
    private static partial Regex Pair();
}
