namespace Kcptun.Diagnostics;

#pragma warning disable CA1051 // Public fields so hot paths can use Interlocked on them directly.

/// <summary>
/// The SNMP-style counters of kcp-go (docs/protocol/programs.md §10.7 and 10.8). One instance per session and one
/// process-wide instance; every increment goes to both through <see cref="SnmpCounters"/> methods of the owner.
/// Fields are public for <see cref="Interlocked"/> use on hot paths; read them through <see cref="Snapshot"/>.
/// </summary>
public sealed class SnmpCounters
{
    /// <summary>The process-wide counters, what SIGUSR1 and --snmplog print.</summary>
    public static SnmpCounters Global { get; } = new();

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
}
