using Kcptun.Cli.Configuration;
using Kcptun.Diagnostics;
using Kcptun.Smux;
using Kcptun.Tests.Support;
using Kcptun.Threading;
using Kcptun.Tunnel;

namespace Kcptun.Tests.Tunnel;

/// <summary>
/// Issue 16: a client that holds the key and floods SYNs gets at most <see cref="TunnelServer.StreamsPerSession"/>
/// streams (and target connections) per session; the rest are refused with a FIN, counted and logged, and the session
/// keeps serving the streams it has.
/// </summary>
public class StreamFloodTests
{
    [Fact]
    public async Task Streams_beyond_the_session_limit_are_refused_counted_and_logged_and_the_rest_keep_working()
    {
        await using var target = new EchoTarget();
        var text = new StringWriter();
        var log = TextWriter.Synchronized(text);
        await using var server = new TunnelServer(RuntimeBinding.Server(new ServerOptions { Target = target.Address, NoCompression = true, SmuxVersion = 1, Quiet = true }), new TunnelLog(log), s => s)
        {
            StreamsPerSession = 4,
        };
        using var pair = await SocketPair.CreateAsync();
        var serving = server.ServeConnectionAsync(pair.Right, "server", "flooder");
        await using var session = new SmuxSession(pair.Left, new SmuxConfig(), isClient: true);
        var refusedBefore = Interlocked.Read(ref TunnelGauges.Global.RefusedStreams);

        var streams = new List<SmuxStream>();
        for (var i = 0; i < 20; i++)
        {
            streams.Add(await session.OpenStreamAsync());
        }

        // The first four reach the target and echo; the sixteen after them end at once (a FIN, no data).
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal($"ping {i}", await EchoAsync(streams[i], $"ping {i}"));
        }

        for (var i = 4; i < 20; i++)
        {
            Assert.Equal(0, await streams[i].ReadAsync(new byte[16]).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        }

        Assert.True(Interlocked.Read(ref TunnelGauges.Global.RefusedStreams) - refusedBefore >= 16);
        Assert.Equal(4, server.ActiveStreams);
        string logged;
        lock (log)
        {
            logged = text.ToString();
        }

        Assert.Contains("session from flooder: 4 streams open, refused ", logged, StringComparison.Ordinal);

        // Closing one makes room for one more.
        await streams[0].DisposeAsync();
        await Poll.UntilAsync(() => server.ActiveStreams == 3);
        var again = await session.OpenStreamAsync();
        Assert.Equal("again", await EchoAsync(again, "again"));

        await session.DisposeAsync();
        await serving.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void The_limit_counts_enters_and_exits_and_logs_refusals_at_most_once_a_second()
    {
        var limit = new AdmissionLimit(2);
        Assert.True(limit.TryEnter());
        Assert.True(limit.TryEnter());
        Assert.False(limit.TryEnter());
        Assert.Equal(1, limit.NoteRefused(10_000));
        Assert.False(limit.TryEnter());
        Assert.Equal(0, limit.NoteRefused(10_500));
        Assert.Equal(0, limit.NoteRefused(10_999));
        Assert.Equal(3, limit.NoteRefused(11_000)); // the two held back and this one
        limit.Exit();
        Assert.Equal(1, limit.Open);
        Assert.True(limit.TryEnter());
    }

    private static async Task<string> EchoAsync(SmuxStream stream, string message)
    {
        var data = System.Text.Encoding.ASCII.GetBytes(message);
        await stream.WriteAsync(data);
        var echo = new byte[data.Length];
        await stream.ReadExactlyAsync(echo).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        return System.Text.Encoding.ASCII.GetString(echo);
    }
}
