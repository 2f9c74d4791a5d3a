using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Kcptun.Cli.Configuration;
using Kcptun.Cli.Hosting;
using Kcptun.Tests.Support;

namespace Kcptun.Tests.Tunnel;

/// <summary>--metrics on both programs in-process: /metrics parsed strictly (and by promtool when installed), /healthz.</summary>
public class MetricsEndpointTests
{
    [Fact]
    public async Task Both_programs_serve_metrics_and_health_that_follow_the_tunnel()
    {
        await using var target = new EchoTarget();
        using var stop = new CancellationTokenSource();
        var (serverExit, serverLog, serverAddress) = await StartAsync(ServerProgram.RunAsync,
            ["-l", "127.0.0.1:0", "-t", target.Address, "--key", "m", "--metrics", "127.0.0.1:0"], stop.Token);
        var serverMetrics = MetricsScrape.PortFromLog(Text(serverLog));
        var (clientExit, clientLog, clientAddress) = await StartAsync(ClientProgram.RunAsync,
            ["-l", "127.0.0.1:0", "-r", serverAddress, "--key", "m", "--metrics", "127.0.0.1:0", "--ds", "4", "--ps", "2", "--sndwnd", "200"], stop.Token);
        var clientMetrics = MetricsScrape.PortFromLog(Text(clientLog));

        // Listening server: healthy. Client with no session yet (it dials with the first connection): not healthy.
        Assert.Equal(200, (await MetricsScrape.RequestAsync(serverMetrics, "GET", "/healthz")).Status);
        var idle = await MetricsScrape.RequestAsync(clientMetrics, "GET", "/healthz");
        Assert.Equal(503, idle.Status);
        Assert.Equal("no session to the server is open\n", idle.Body);

        using (var connection = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            var port = int.Parse(clientAddress[(clientAddress.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            await connection.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
            await using var stream = new NetworkStream(connection);
            var data = new byte[100_000];
            Random.Shared.NextBytes(data);
            await stream.WriteAsync(data);
            var echo = new byte[data.Length];
            await stream.ReadExactlyAsync(echo).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(data, echo);

            Assert.Equal(200, (await MetricsScrape.RequestAsync(clientMetrics, "GET", "/healthz")).Status);
            var scrape = await MetricsScrape.RequestAsync(clientMetrics, "GET", "/metrics");
            Assert.Equal(200, scrape.Status);
            Assert.Contains("Content-Type: text/plain; version=0.0.4; charset=utf-8", scrape.Head, StringComparison.Ordinal);
            var samples = MetricsScrape.Parse(scrape.Body);
            await PromtoolAgreesAsync(scrape.Body);

            Assert.Equal(1, Single(samples, "kcptun_sessions_open").Value);
            Assert.True(Single(samples, "kcptun_streams_open").Value >= 1);
            Assert.Equal(4, Single(samples, "kcptun_fec_data_shards").Value);
            Assert.Equal(2, Single(samples, "kcptun_fec_parity_shards").Value);
            Assert.True(Single(samples, "kcptun_bytes_sent_total").Value >= data.Length);
            Assert.True(Single(samples, "kcptun_active_opens_total").Value >= 1);
            var rtt = Single(samples, "kcptun_session_srtt_seconds");
            Assert.Equal(serverAddress, rtt.Labels["remote"]);
            Assert.True(rtt.Labels.ContainsKey("conv") && rtt.Labels.ContainsKey("local"));
            Assert.Equal(200, Single(samples, "kcptun_session_send_window_segments").Value); // as configured
            Assert.Equal(4, Single(samples, "kcptun_session_fec_data_shards").Value);    // fixed FEC, as given
            Assert.Equal(2, Single(samples, "kcptun_session_fec_parity_shards").Value);
            Assert.True(Single(samples, "kcptun_session_sent_bytes_total").Value >= data.Length);

            // The bbr controller's state (the default --cc): it has measured the loopback path and paces above zero.
            Assert.True(Single(samples, "kcptun_session_bottleneck_bandwidth_bytes_per_second").Value > 0);
            Assert.InRange(Single(samples, "kcptun_session_min_rtt_seconds").Value, 0, 1);
            Assert.True(Single(samples, "kcptun_session_pacing_rate_bytes_per_second").Value > 0);
            Assert.True(Single(samples, "kcptun_session_inflight_cap_bytes").Value >= 4 * 1300);
            Assert.InRange(Single(samples, "kcptun_session_inflight_bytes").Value, 0, Single(samples, "kcptun_session_inflight_cap_bytes").Value + 65536);
            Assert.InRange(Single(samples, "kcptun_session_rate_phase").Value, 0, 3);
            Assert.InRange(Single(samples, "kcptun_session_retransmitted_ratio").Value, 0, 1);
            Assert.InRange(Single(samples, "kcptun_session_startup_exit").Value, 0, 3);
            Assert.True(Single(samples, "kcptun_session_startup_restarts_total").Value >= 0);
            Assert.True(Single(samples, "kcptun_session_application_limited_flushes_total").Value > 0); // an echo is app-limited
            Assert.True(Single(samples, "kcptun_session_window_limited_flushes_total").Value >= 0);
            Assert.InRange(Single(samples, "kcptun_session_queued_segments").Value, 0, Single(samples, "kcptun_session_waiting_segments").Value);
            foreach (var field in Kcptun.Diagnostics.SnmpCounters.DebianFieldNames)
            {
                // Every SNMP field is exported, under its snake-case name.
                var snake = System.Text.RegularExpressions.Regex.Replace(field.Replace("KCP", "Kcp").Replace("FEC", "Fec"), "(?<=[a-z])([A-Z])", "_$1").ToLowerInvariant();
                Assert.Contains(samples, s => s.Name == $"kcptun_{snake}_total" || s.Name == $"kcptun_{snake}");
            }

            var serverScrape = (await MetricsScrape.RequestAsync(serverMetrics, "GET", "/metrics")).Body;
            await PromtoolAgreesAsync(serverScrape);
            var server = MetricsScrape.Parse(serverScrape);
            Assert.Equal(1, Single(server, "kcptun_sessions_open").Value);
            Assert.True(Single(server, "kcptun_refused_streams_total").Value >= 0);
            Assert.True(Single(server, "kcptun_refused_sessions_total").Value >= 0);
            Assert.Equal(clientAddress.Split(':')[0], Single(server, "kcptun_session_rto_seconds").Labels["remote"].Split(':')[0]);
        }

        Assert.Equal(404, (await MetricsScrape.RequestAsync(clientMetrics, "GET", "/")).Status);
        Assert.Equal(405, (await MetricsScrape.RequestAsync(clientMetrics, "POST", "/metrics")).Status);
        var head = await MetricsScrape.RequestAsync(clientMetrics, "HEAD", "/metrics");
        Assert.Equal(200, head.Status);
        Assert.Equal("", head.Body);

        await stop.CancelAsync();
        Assert.Equal(ExitCodes.Success, await clientExit.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(ExitCodes.Success, await serverExit.WaitAsync(TimeSpan.FromSeconds(30)));
        await Assert.ThrowsAnyAsync<SocketException>(() => MetricsScrape.RequestAsync(serverMetrics, "GET", "/healthz"));
    }

    [Fact]
    public void Refused_streams_and_sessions_are_counters_on_the_page()
    {
        var gauges = new Kcptun.Diagnostics.TunnelGauges { RefusedStreams = 7, RefusedSessions = 11 };
        var page = MetricsReport.Render(new ServerOptions(), new SessionRegistry(), new Kcptun.Diagnostics.SnmpCounters(), gauges);
        var samples = MetricsScrape.Parse(page);
        Assert.Equal(7, Single(samples, "kcptun_refused_streams_total").Value);
        Assert.Equal(11, Single(samples, "kcptun_refused_sessions_total").Value);
        Assert.Contains("# TYPE kcptun_refused_streams_total counter\n", page, StringComparison.Ordinal);
        Assert.Contains("# TYPE kcptun_refused_sessions_total counter\n", page, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("nonsense", "--metrics: \"nonsense\" is not host:port")]
    [InlineData(":99999", "--metrics: \"99999\" is not a port number")]
    [InlineData("example.com:9100", "--metrics: host \"example.com\" must be an IP address or localhost")]
    public void A_bad_metrics_address_is_a_configuration_error(string value, string message)
    {
        var result = ProgramRunner.Server(["--metrics", value]);
        Assert.Equal(ExitCodes.Configuration, result.ExitCode);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_address_without_host_binds_loopback()
    {
        Assert.True(MetricsEndpoint.TryParse(":9100", out var endPoint, out _));
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 9100), endPoint);
        Assert.True(MetricsEndpoint.TryParse("[::]:0", out endPoint, out _));
        Assert.Equal(IPAddress.IPv6Any, endPoint.Address);
    }

    [Fact]
    public void The_json_key_metrics_sets_the_option()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "{\"metrics\": \"not-an-address\"}");
            var result = ProgramRunner.Client(["-c", path]);
            Assert.Equal(ExitCodes.Configuration, result.ExitCode);
            Assert.Contains("--metrics: \"not-an-address\"", result.Error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static Task PromtoolAgreesAsync(string exposition) => Promtool.CheckMetricsAsync(exposition);

    private static MetricsScrape.Sample Single(List<MetricsScrape.Sample> samples, string name) => Assert.Single(samples, s => s.Name == name);

    private static string Text((TextWriter Writer, StringWriter Text) log)
    {
        lock (log.Writer)
        {
            return log.Text.ToString();
        }
    }

    private static async Task<(Task<int> Exit, (TextWriter Writer, StringWriter Text) Log, string Address)> StartAsync(
        Func<IReadOnlyList<string>, ProgramContext?, string, Task<int>> run, string[] args, CancellationToken stop)
    {
        var text = new StringWriter { NewLine = "\n" };
        var writer = TextWriter.Synchronized(text);
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var exit = run(args, new ProgramContext { Out = writer, Error = writer, Environment = _ => null, HandleSignals = false, Shutdown = stop, Listening = a => listening.TrySetResult(a) }, "kcptun");
        await Task.WhenAny(listening.Task, exit).WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.True(listening.Task.IsCompleted, "did not start: " + text);
        return (exit, (writer, text), listening.Task.Result);
    }
}

/// <summary>Prometheus's own checker, when installed (CI installs it and sets KCPTUN_REQUIRE_PROMTOOL=1).</summary>
internal static class Promtool
{
    private const string Path = "/usr/bin/promtool";

    public static async Task CheckMetricsAsync(string exposition)
    {
        if (!File.Exists(Path))
        {
            Assert.True(Environment.GetEnvironmentVariable("KCPTUN_REQUIRE_PROMTOOL") != "1", "promtool is required but not installed");
            return;
        }

        using var process = Process.Start(new ProcessStartInfo(Path, ["check", "metrics"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        try
        {
            await process.StandardInput.WriteAsync(exposition);
            process.StandardInput.Close();
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(process.ExitCode == 0 && (await output + await error).Trim().Length == 0, $"promtool check metrics: exit {process.ExitCode}\n{await output}{await error}");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }
}
