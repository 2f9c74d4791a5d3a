using Kcptun.Cli.Configuration;
using Kcptun.Tests.Support;
using Kcptun.Tunnel;

namespace Kcptun.Tests.Tunnel;

/// <summary>
/// Issue 16: a session that holds a server slot without smux traffic is reaped: one that never sends a frame after
/// the first-frame timeout, one that opened a stream and went silent after the smux keep-alive timeout. Both
/// timeouts are 30 s in the programs; shortened here.
/// </summary>
public class HalfOpenSessionTests
{
    [Fact]
    public async Task A_session_that_never_sends_a_frame_is_closed_after_the_first_frame_timeout()
    {
        await using var target = new EchoTarget();
        var (server, text) = Server(target, settings => settings);
        await using var _ = server;
        using var pair = await SocketPair.CreateAsync();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await server.ServeConnectionAsync(pair.Right, "server", "half-open").WaitAsync(TimeSpan.FromSeconds(10));
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(10));
        Assert.Equal(0, await pair.Left.ReadAsync(new byte[1]).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("session from half-open closed: nothing arrived for 0.3 s", Text(text), StringComparison.Ordinal);
        Assert.Equal(0, server.ActiveSessions);
    }

    [Fact]
    public async Task A_session_that_opens_a_stream_and_goes_silent_is_closed_by_the_keepalive_timeout()
    {
        await using var target = new EchoTarget();
        var (server, text) = Server(target, settings => settings with
        {
            Smux = settings.Smux with { KeepAliveInterval = TimeSpan.FromMilliseconds(100), KeepAliveTimeout = TimeSpan.FromMilliseconds(500) },
        });
        await using var _ = server;
        using var pair = await SocketPair.CreateAsync();
        var serving = server.ServeConnectionAsync(pair.Right, "server", "silent");

        // smux v1 SYN for stream 1 (version, command 0, length 0, stream id), then nothing at all: no NOP keep-alives.
        await pair.Left.WriteAsync(new byte[] { 1, 0, 0, 0, 1, 0, 0, 0 });
        await WaitUntilAsync(() => server.ActiveStreams == 1);
        Assert.Equal(1, server.ActiveSessions);
        await serving.WaitAsync(TimeSpan.FromSeconds(10));
        await WaitUntilAsync(() => server.ActiveStreams == 0);
        Assert.Contains("keepalive timeout", Text(text), StringComparison.Ordinal);
        var drained = new byte[4096];
        while (await pair.Left.ReadAsync(drained).AsTask().WaitAsync(TimeSpan.FromSeconds(10)) > 0)
        {
            // The server's NOPs, then the end of the connection.
        }
    }

    private static (TunnelServer Server, (TextWriter Writer, StringWriter Text) Log) Server(EchoTarget target, Func<TunnelServerSettings, TunnelServerSettings> adjust)
    {
        var text = new StringWriter();
        var writer = TextWriter.Synchronized(text);
        var settings = adjust(RuntimeBinding.Server(new ServerOptions { Target = target.Address, NoCompression = true, SmuxVersion = 1, Quiet = true }));
        return (new TunnelServer(settings, new TunnelLog(writer), s => s) { FirstFrameLimit = TimeSpan.FromMilliseconds(300) }, (writer, text));
    }

    private static string Text((TextWriter Writer, StringWriter Text) log)
    {
        lock (log.Writer)
        {
            return log.Text.ToString();
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in 10 s");
            await Task.Delay(10);
        }
    }
}
