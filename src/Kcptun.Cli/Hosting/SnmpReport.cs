using System.Globalization;
using System.Text;
using Kcptun.Cli.Configuration;
using Kcptun.Diagnostics;

namespace Kcptun.Cli.Hosting;

/// <summary>The two text forms of the SNMP counters: the SIGUSR1 log line (10.7) and the <c>--snmplog</c> CSV (10.8).</summary>
public static class SnmpReport
{
    // kcp-go's struct order, which the SIGUSR1 dump (Go %+v) follows; the CSV uses SnmpCounters.DebianFieldNames.
    private static readonly string[] s_dumpOrder =
    [
        "BytesSent", "BytesReceived", "MaxConn", "ActiveOpens", "PassiveOpens", "CurrEstab", "InErrs", "InCsumErrors",
        "KCPInErrors", "InPkts", "OutPkts", "InSegs", "OutSegs", "InBytes", "OutBytes", "RetransSegs",
        "FastRetransSegs", "EarlyRetransSegs", "LostSegs", "RepeatSegs", "FECRecovered", "FECErrs", "FECParityShards",
        "FECShortShards",
    ];

    /// <summary>The SIGUSR1 line without the log prefix: <c>KCP SNMP:&amp;{BytesSent:94 ... FECShortShards:0}</c>.</summary>
    public static string Dump(SnmpCounters counters)
    {
        ArgumentNullException.ThrowIfNull(counters);
        var values = counters.Snapshot();
        var names = SnmpCounters.DebianFieldNames;
        var text = new StringBuilder("KCP SNMP:&{");
        for (var i = 0; i < s_dumpOrder.Length; i++)
        {
            var index = IndexOf(names, s_dumpOrder[i]);
            text.Append(i == 0 ? "" : " ").Append(s_dumpOrder[i]).Append(':')
                .Append(values[index].ToString(CultureInfo.InvariantCulture));
        }

        return text.Append('}').ToString();
    }

    /// <summary>The CSV header line (without line end): <c>Unix,BytesSent,...</c>.</summary>
    public static string CsvHeader() => "Unix," + string.Join(',', SnmpCounters.DebianFieldNames);

    /// <summary>One CSV record (without line end): Unix seconds then every counter in header order.</summary>
    public static string CsvRecord(DateTimeOffset now, SnmpCounters counters)
    {
        ArgumentNullException.ThrowIfNull(counters);
        var text = new StringBuilder(now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
        foreach (var value in counters.Snapshot())
        {
            text.Append(',').Append(value.ToString(CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    /// <summary>
    /// The file one record goes to: the directory part of <paramref name="path"/> kept, the file-name part formatted
    /// as a Go time layout with <paramref name="now"/> (local time).
    /// </summary>
    public static string FileName(string path, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(path);
        var slash = path.LastIndexOf('/');
        return path[..(slash + 1)] + GoTimeLayout.Format(now, path[(slash + 1)..]);
    }

    /// <summary>Appends one record to the file for <paramref name="now"/>, with the header first if the file is empty.</summary>
    public static void Append(string path, DateTimeOffset now, SnmpCounters counters)
    {
        var file = FileName(path, now);
        using var stream = new FileStream(file, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        using var writer = new StreamWriter(stream, new UTF8Encoding(false)) { NewLine = "\n" };
        if (stream.Length == 0)
        {
            writer.WriteLine(CsvHeader());
        }

        writer.WriteLine(CsvRecord(now, counters));
    }

    private static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (var i = 0; i < names.Count; i++)
        {
            if (names[i] == name)
            {
                return i;
            }
        }

        throw new InvalidOperationException($"counter {name} missing from SnmpCounters.DebianFieldNames");
    }
}
