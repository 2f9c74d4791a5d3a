namespace Kcptun.Diagnostics;

#pragma warning disable CA1051 // Public fields so hot paths can use Interlocked on them directly.

/// <summary>
/// The SNMP-style counters of kcp-go (docs/protocol/programs.md §10.7 and 10.8). One instance per session (and per
/// listener, for drops before a session exists), incremented by its owner only; <see cref="SnmpTotals"/> sums them
/// for what SIGUSR1, --snmplog and /metrics print. Fields are public for <see cref="Interlocked"/> use on hot paths;
/// read them through <see cref="Snapshot"/>.
/// </summary>
public sealed class SnmpCounters
{
    public long BytesSent;
    public long BytesReceived;
    public long MaxConn;
    public long ActiveOpens;
    public long PassiveOpens;
    public long CurrEstab;
    public long InErrs;
    public long InCsumErrors;
    public long KcpInErrors;
    public long InPkts;
    public long OutPkts;
    public long InSegs;
    public long OutSegs;
    public long InBytes;
    public long OutBytes;
    public long RetransSegs;
    public long FastRetransSegs;
    public long EarlyRetransSegs;
    public long LostSegs;
    public long RepeatSegs;
    public long FecParityShards;
    public long FecErrs;
    public long FecRecovered;
    public long FecShortShards;

    /// <summary>Debian field names in the order of the SIGUSR1 dump and the --snmplog CSV header (after "Unix").</summary>
    public static IReadOnlyList<string> DebianFieldNames { get; } =
    [
        "BytesSent", "BytesReceived", "MaxConn", "ActiveOpens", "PassiveOpens", "CurrEstab", "InErrs",
        "InCsumErrors", "KCPInErrors", "InPkts", "OutPkts", "InSegs", "OutSegs", "InBytes", "OutBytes",
        "RetransSegs", "FastRetransSegs", "EarlyRetransSegs", "LostSegs", "RepeatSegs", "FECParityShards",
        "FECErrs", "FECRecovered", "FECShortShards",
    ];

    /// <summary>A consistent-enough copy of every counter, in <see cref="DebianFieldNames"/> order.</summary>
    public long[] Snapshot() =>
    [
        Volatile.Read(ref BytesSent), Volatile.Read(ref BytesReceived), Volatile.Read(ref MaxConn),
        Volatile.Read(ref ActiveOpens), Volatile.Read(ref PassiveOpens), Volatile.Read(ref CurrEstab),
        Volatile.Read(ref InErrs), Volatile.Read(ref InCsumErrors), Volatile.Read(ref KcpInErrors),
        Volatile.Read(ref InPkts), Volatile.Read(ref OutPkts), Volatile.Read(ref InSegs), Volatile.Read(ref OutSegs),
        Volatile.Read(ref InBytes), Volatile.Read(ref OutBytes), Volatile.Read(ref RetransSegs),
        Volatile.Read(ref FastRetransSegs), Volatile.Read(ref EarlyRetransSegs), Volatile.Read(ref LostSegs),
        Volatile.Read(ref RepeatSegs), Volatile.Read(ref FecParityShards), Volatile.Read(ref FecErrs),
        Volatile.Read(ref FecRecovered), Volatile.Read(ref FecShortShards),
    ];

    /// <summary>A new instance holding <paramref name="values"/>, in <see cref="DebianFieldNames"/> order.</summary>
    public static SnmpCounters FromSnapshot(ReadOnlySpan<long> values)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(values.Length, DebianFieldNames.Count, nameof(values));
        return new SnmpCounters
        {
            BytesSent = values[0],
            BytesReceived = values[1],
            MaxConn = values[2],
            ActiveOpens = values[3],
            PassiveOpens = values[4],
            CurrEstab = values[5],
            InErrs = values[6],
            InCsumErrors = values[7],
            KcpInErrors = values[8],
            InPkts = values[9],
            OutPkts = values[10],
            InSegs = values[11],
            OutSegs = values[12],
            InBytes = values[13],
            OutBytes = values[14],
            RetransSegs = values[15],
            FastRetransSegs = values[16],
            EarlyRetransSegs = values[17],
            LostSegs = values[18],
            RepeatSegs = values[19],
            FecParityShards = values[20],
            FecErrs = values[21],
            FecRecovered = values[22],
            FecShortShards = values[23],
        };
    }
}
