using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Kcptun.Tests.Tunnel;

/// <summary>Raw HTTP/1.1 requests to the metrics endpoint and a strict parser of the Prometheus text format.</summary>
internal static partial class MetricsScrape
{
    public sealed record Response(int Status, string Head, string Body);

    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    /// <summary>The port in the program's "metrics: http://127.0.0.1:PORT/metrics" log line.</summary>
    public static int PortFromLog(string log)
    {
        var match = MetricsLine().Match(log);
        Assert.True(match.Success, "no metrics line in the log:\n" + log);
        return int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    public static async Task<Response> RequestAsync(int port, string method, string path)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)).WaitAsync(TimeSpan.FromSeconds(10));
        await socket.SendAsync(Encoding.ASCII.GetBytes($"{method} {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").AsMemory(), SocketFlags.None);
        var received = new MemoryStream();
        var buffer = new byte[4096];
        int read;
        while ((read = await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10))) > 0)
        {
            received.Write(buffer, 0, read);
        }

        var text = Encoding.UTF8.GetString(received.ToArray());
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(split > 0, "no HTTP head: " + text);
        var head = text[..split];
        var status = int.Parse(head.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var body = text[(split + 4)..];
        var length = Regex.Match(head, @"\r\nContent-Length: (\d+)").Groups[1].Value;
        if (method != "HEAD")
        {
            Assert.Equal(int.Parse(length, System.Globalization.CultureInfo.InvariantCulture), Encoding.UTF8.GetByteCount(body));
        }

        return new Response(status, head, body);
    }

    /// <summary>
    /// Parses the exposition strictly: each family is HELP then TYPE (counter or gauge) then only its own samples;
    /// names are declared once; counters end in _total; every line ends in \n; label sets are unique per family.
    /// </summary>
    public static List<Sample> Parse(string text)
    {
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        var samples = new List<Sample>();
        var declared = new HashSet<string>();
        var seen = new HashSet<string>();
        string? family = null;
        string? pendingHelp = null;
        foreach (var line in text[..^1].Split('\n'))
        {
            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                var name = line[7..line.IndexOf(' ', 7)];
                Assert.Null(pendingHelp);
                Assert.True(declared.Add(name), "declared twice: " + name);
                pendingHelp = name;
                continue;
            }

            var type = TypeLine().Match(line);
            if (type.Success)
            {
                Assert.Equal(pendingHelp, type.Groups[1].Value);
                if (type.Groups[2].Value == "counter")
                {
                    Assert.EndsWith("_total", type.Groups[1].Value, StringComparison.Ordinal);
                }

                family = pendingHelp;
                pendingHelp = null;
                continue;
            }

            var sample = SampleLine().Match(line);
            Assert.True(sample.Success, "not a sample line: " + line);
            Assert.Null(pendingHelp);
            Assert.Equal(family, sample.Groups[1].Value);
            Assert.True(seen.Add(sample.Groups[1].Value + sample.Groups[2].Value), "duplicate series: " + line);
            var labels = new Dictionary<string, string>();
            foreach (Match label in LabelPair().Matches(sample.Groups[2].Value))
            {
                labels.Add(label.Groups[1].Value, label.Groups[2].Value);
            }

            samples.Add(new Sample(sample.Groups[1].Value, labels, double.Parse(sample.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture)));
        }

        Assert.Null(pendingHelp);
        return samples;
    }

    [GeneratedRegex(@"metrics: http://127\.0\.0\.1:(\d+)/metrics")]
    private static partial Regex MetricsLine();

    [GeneratedRegex(@"^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge)$")]
    private static partial Regex TypeLine();

    [GeneratedRegex(@"^([a-zA-Z_:][a-zA-Z0-9_:]*)((?:\{(?:[a-zA-Z_][a-zA-Z0-9_]*=""(?:[^""\\\n]|\\[\\""n])*"",?)*\})?) (-?[0-9][0-9.eE+-]*|NaN|[+-]Inf)$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\.)*)""")]
    private static partial Regex LabelPair();
}
