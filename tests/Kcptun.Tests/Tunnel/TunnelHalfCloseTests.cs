using System.Net.Sockets;
using System.Security.Cryptography;
using Kcptun.Cli.Configuration;
using Kcptun.Compression;
using Kcptun.Tests.Support;

namespace Kcptun.Tests.Tunnel;

/// <summary>Half-close through our client and server (docs/half-close.md), over the harness's TCP transport.</summary>
public class TunnelHalfCloseTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);
    private static readonly ClientOptions s_client = new() { RemoteAddress = "127.0.0.1:1" };

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(1, true)]
    [InlineData(2, true)]
    public async Task The_answer_after_the_request_end_arrives_whole_and_every_stream_ends(int version, bool compressed)
    {
        await using var target = new AnswerAfterEofTarget(100_000); // answers and ends at once, right after our FIN
        await using var tunnel = new TunnelHarness(s_client with { SmuxVersion = version, NoCompression = !compressed },
            new ServerOptions { Target = target.Address }, s => new SnappyFramingStream(s));
        var requests = Enumerable.Range(0, 4).Select(i => RandomNumberGenerator.GetBytes(5000 + i)).ToArray();
        var answers = await Task.WhenAll(requests.Select(r => RequestAsync(tunnel, r)));
        for (var i = 0; i < requests.Length; i++)
        {
            Assert.Equal(AnswerAfterEofTarget.AnswerFor(requests[i], 100_000), answers[i]);
        }

        Assert.Equal(requests.Select(r => Convert.ToHexStringLower(SHA256.HashData(r))).Order(), target.Requests.Order());
        await Poll.UntilAsync(() => tunnel.Server.ActiveStreams == 0 && Count(tunnel.ClientLog, "stream closed") == 4);
    }

    [Fact]
    public async Task Qpp_streams_close_fully_when_the_request_ends_as_20260314()
    {
        // The QPP wrapper has no half-close: the request arrives, its answer is dropped, and nothing hangs.
        await using var target = new AnswerAfterEofTarget(10_000);
        await using var tunnel = new TunnelHarness(s_client with { NoCompression = true, Qpp = true, QppCount = 7 },
            new ServerOptions { Target = target.Address, Qpp = true, QppCount = 7 });
        var request = RandomNumberGenerator.GetBytes(3000);
        var answer = await RequestAsync(tunnel, request);
        Assert.Empty(answer);
        await Poll.UntilAsync(() => target.Requests.Count == 1);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(request)), Assert.Single(target.Requests));
        await Poll.UntilAsync(() => tunnel.Server.ActiveStreams == 0);
    }

    [Fact]
    public async Task A_half_closed_connection_waiting_for_its_answer_ends_when_the_session_dies()
    {
        // The server holds the target's end of stream back for an hour: only the transport's death can end this.
        await using var target = new AnswerAfterEofTarget(1000);
        await using var tunnel = new TunnelHarness(s_client with { NoCompression = true }, new ServerOptions { Target = target.Address, CloseWait = 3600 });
        using var socket = (await tunnel.ConnectAsync()).Socket;
        await socket.SendAsync(new byte[100]);
        socket.Shutdown(SocketShutdown.Send);
        await Poll.UntilAsync(() => tunnel.Server.ActiveStreams == 1);
        var answer = socket.ReceiveAsync(new byte[10], SocketFlags.None);

        tunnel.CutTransport();
        try
        {
            Assert.Equal(0, await answer.WaitAsync(s_timeout));
        }
        catch (SocketException)
        {
            // Reset: ended too.
        }

        await Poll.UntilAsync(() => tunnel.Server.ActiveStreams == 0);
    }

    private static async Task<byte[]> RequestAsync(TunnelHarness tunnel, byte[] request)
    {
        await using var stream = await tunnel.ConnectAsync();
        await stream.WriteAsync(request);
        stream.Socket.Shutdown(SocketShutdown.Send);
        var answer = new MemoryStream();
        await stream.CopyToAsync(answer).WaitAsync(s_timeout);
        return answer.ToArray();
    }

    private static int Count(string log, string what) => log.Split('\n').Count(line => line.Contains(what, StringComparison.Ordinal));
}
