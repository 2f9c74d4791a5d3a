using Kcptun.Cli.Configuration;
using Kcptun.Cli.Hosting;
using Kcptun.Diagnostics;
using Kcptun.Tunnel;
using Kcptun.Tests.Support;

namespace Kcptun.Tests.Tunnel;

public class TunnelLogTests
{
    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now.ToUniversalTime();

        public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.CreateCustomTimeZone("test", now.Offset, "test", "test");
    }

    [Fact]
    public void Lines_have_Go_timestamp_prefix_in_local_time()
    {
        var output = new StringWriter();
        var log = new TunnelLog(output, new FixedTime(new DateTimeOffset(2026, 11, 5, 8, 1, 9, TimeSpan.FromHours(2))));
        log.Println("compression:", true, "x", 5);
        log.Write("version: SELFBUILD");
        Assert.Equal("2026/11/05 08:01:09 compression: true x 5\n2026/11/05 08:01:09 version: SELFBUILD\n", output.ToString());
    }

    [Fact]
    public void Quiet_suppresses_only_stream_lines()
    {
        var output = new StringWriter();
        var log = new TunnelLog(output) { Quiet = true };
        log.Stream("stream opened in: 127.0.0.1:1 out: 127.0.0.1:2(3)");
        log.Write("smux version: 2");
        Assert.EndsWith(" smux version: 2\n", output.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("stream", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Log_file_is_appended()
    {
        var path = Path.Combine(Path.GetTempPath(), $"kcptun-log-{Guid.NewGuid():N}.log");
        try
        {
            File.WriteAllText(path, "existing\n");
            using (var log = TunnelLog.OpenFile(path))
            {
                log.Write("one");
            }

            using (var log = TunnelLog.OpenFile(path))
            {
                log.Write("two");
            }

            var lines = File.ReadAllLines(path);
            Assert.Equal(3, lines.Length);
            Assert.Equal("existing", lines[0]);
            Assert.Matches(@"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d one$", lines[1]);
            Assert.EndsWith(" two", lines[2], StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Unopenable_log_file_is_a_configuration_error()
    {
        var result = ProgramRunner.Client(["--log", "/nonexistent-dir/x.log", "-l", "127.0.0.1:0"]);
        Assert.Equal(ExitCodes.Configuration, result.ExitCode);
        Assert.Contains("--log /nonexistent-dir/x.log: cannot open the log file", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Startup_lines_follow_kcptun_order_and_wording()
    {
        var client = StartupLog.Client(new ClientOptions(), "127.0.0.1:13001");
        string[] debianOrder =
        [
            "smux version: 2", "listening on: 127.0.0.1:13001", "encryption: aes", "nodelay parameters: 0 30 2 1",
            "remote address: vps:29900", "sndwnd: 128 rcvwnd: 512", "compression: true", "mtu: 1350",
            "datashard: 10 parityshard: 3", "acknodelay: false", "dscp: 0", "sockbuf: 4194304", "smuxbuf: 4194304",
            "streambuf: 2097152", "keepalive: 10", "conn: 1", "autoexpire: 0", "scavengettl: 600", "snmplog: ",
            "snmpperiod: 60", "quiet: false", "tcp: false",
        ];
        Assert.Equal(debianOrder, client.Where(debianOrder.Contains).ToArray());

        var server = StartupLog.Server(new ServerOptions { Mode = "fast3", SmuxVersion = 1, NoCompression = true });
        string[] serverOrder =
        [
            "smux version: 1", "listening on: :29900", "target: 127.0.0.1:12948", "encryption: aes",
            "nodelay parameters: 1 10 2 1", "sndwnd: 1024 rcvwnd: 1024", "compression: false", "mtu: 1350",
            "datashard: 10 parityshard: 3", "acknodelay: false", "dscp: 0", "sockbuf: 4194304", "smuxbuf: 4194304",
            "streambuf: 2097152", "keepalive: 10", "snmplog: ", "snmpperiod: 60", "pprof: false", "quiet: false", "tcp: false",
        ];
        Assert.Equal(serverOrder, server.Where(serverOrder.Contains).ToArray());
        Assert.Contains("smux version: auto (1 and 2, detected per session)", StartupLog.Server(new ServerOptions()));
        Assert.Contains("compression: auto (detected per session)", StartupLog.Server(new ServerOptions()));
    }

    [Fact]
    public void Snmp_dump_uses_Go_struct_order()
    {
        var counters = new SnmpCounters { BytesSent = 94, BytesReceived = 110, MaxConn = 1, FecRecovered = 7, FecParityShards = 9, FecShortShards = 4 };
        Assert.Equal(
            "KCP SNMP:&{BytesSent:94 BytesReceived:110 MaxConn:1 ActiveOpens:0 PassiveOpens:0 CurrEstab:0 InErrs:0 InCsumErrors:0 KCPInErrors:0 InPkts:0 OutPkts:0 InSegs:0 OutSegs:0 InBytes:0 OutBytes:0 RetransSegs:0 FastRetransSegs:0 EarlyRetransSegs:0 LostSegs:0 RepeatSegs:0 FECRecovered:7 FECErrs:0 FECParityShards:9 FECShortShards:4}",
            SnmpReport.Dump(counters));
    }

    [Fact]
    public void Snmp_csv_header_and_record()
    {
        Assert.Equal(
            "Unix,BytesSent,BytesReceived,MaxConn,ActiveOpens,PassiveOpens,CurrEstab,InErrs,InCsumErrors,KCPInErrors,InPkts,OutPkts,InSegs,OutSegs,InBytes,OutBytes,RetransSegs,FastRetransSegs,EarlyRetransSegs,LostSegs,RepeatSegs,FECParityShards,FECErrs,FECRecovered,FECShortShards",
            SnmpReport.CsvHeader());
        var counters = new SnmpCounters { BytesSent = 94, FecParityShards = 3, FecShortShards = 1 };
        Assert.Equal("1795594046,94,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,3,0,0,1", SnmpReport.CsvRecord(DateTimeOffset.FromUnixTimeSeconds(1795594046), counters));
    }

    [Fact]
    public void Snmp_file_gets_header_once_then_records()
    {
        var directory = Directory.CreateTempSubdirectory("kcptun-snmp-").FullName;
        try
        {
            var now = new DateTimeOffset(2026, 11, 25, 8, 0, 0, TimeSpan.Zero);
            var path = directory + "/snmp-20060102.log";
            SnmpReport.Append(path, now, new SnmpCounters());
            SnmpReport.Append(path, now.AddSeconds(60), new SnmpCounters { InPkts = 2 });
            var lines = File.ReadAllLines(directory + "/snmp-20261125.log");
            Assert.Equal(3, lines.Length);
            Assert.StartsWith("Unix,", lines[0], StringComparison.Ordinal);
            Assert.StartsWith($"{now.ToUnixTimeSeconds()},", lines[1], StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Snmp_logger_appends_a_record_every_period_to_the_time_formatted_file()
    {
        var directory = Directory.CreateTempSubdirectory("kcptun-snmplog-").FullName;
        try
        {
            var time = new TestTimeProvider();
            using var stop = new CancellationTokenSource();
            var logger = SnmpCsvLogger.RunAsync(directory + "/snmp-20060102.log", 60, new TunnelLog(TextWriter.Null), time, stop.Token);
            var file = directory + "/" + GoTimeLayout.Format(time.GetLocalNow(), "snmp-20060102.log");
            time.Advance(TimeSpan.FromSeconds(59));
            Assert.False(File.Exists(file));
            time.Advance(TimeSpan.FromSeconds(1));
            await Poll.UntilAsync(() => LineCount(file) == 2);
            time.Advance(TimeSpan.FromSeconds(60));
            await Poll.UntilAsync(() => LineCount(file) == 3);
            Assert.StartsWith("Unix,BytesSent,", File.ReadAllLines(file)[0], StringComparison.Ordinal);
            await stop.CancelAsync();
            await logger.WaitAsync(TimeSpan.FromSeconds(10));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    // The logger may be appending while we look: a failed or partial read just means "not yet".
    private static int LineCount(string file)
    {
        try
        {
            var text = File.ReadAllText(file);
            return text.EndsWith('\n') ? text.Count(c => c == '\n') : -1;
        }
        catch (IOException)
        {
            return -1;
        }
    }
}
