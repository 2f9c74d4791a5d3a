using Kcptun.Smux;
using Kcptun.Tests.Support;

namespace Kcptun.Tests.Smux;

/// <summary>
/// <see cref="SmuxSession.StreamsInterleaved"/>: data of more than one stream went out within a second, so a hole below
/// smux delays someone (the adaptive FEC's latency signal, docs/fec-adaptive.md).
/// </summary>
public class SmuxInterleavingTests
{
    private static readonly TimeSpan Hard = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task One_stream_alone_is_not_interleaved_two_are_for_a_second()
    {
        var time = new TestTimeProvider();
        var (a, b) = DuplexPipeStream.CreatePair(pauseThreshold: 64 << 20);
        var config = new SmuxConfig { Version = 1, KeepAliveDisabled = true }; // v1: no window, nobody needs to read
        await using var client = new SmuxSession(a, config, isClient: true, time);
        await using var server = new SmuxSession(b, config, isClient: false, time);

        var bulk = await client.OpenStreamAsync();
        for (var i = 0; i < 20; i++)
        {
            await bulk.WriteAsync(new byte[40_000]);
            time.Advance(TimeSpan.FromMilliseconds(50));
        }

        Assert.False(client.StreamsInterleaved);
        Assert.False(server.StreamsInterleaved); // it sent no data

        var interactive = await client.OpenStreamAsync();
        await interactive.WriteAsync(new byte[64]);
        await bulk.WriteAsync(new byte[40_000]);
        Assert.True(client.StreamsInterleaved);

        time.Advance(TimeSpan.FromMilliseconds(900));
        Assert.True(client.StreamsInterleaved);
        await bulk.WriteAsync(new byte[40_000]); // the same stream again: no new alternation
        time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.False(client.StreamsInterleaved);

        var accepted = await server.AcceptStreamAsync().AsTask().WaitAsync(Hard);
        Assert.NotNull(accepted);
    }

    [Fact]
    public async Task A_stream_after_a_finished_one_is_not_interleaved()
    {
        var time = new TestTimeProvider();
        var (a, b) = DuplexPipeStream.CreatePair(pauseThreshold: 64 << 20);
        var config = new SmuxConfig { Version = 1, KeepAliveDisabled = true };
        await using var client = new SmuxSession(a, config, isClient: true, time);
        await using var server = new SmuxSession(b, config, isClient: false, time);

        // One upload, finished (FIN sent), then the next on a new stream: one after another, not in turn.
        var first = await client.OpenStreamAsync();
        await first.WriteAsync(new byte[40_000]);
        first.CloseWrite();
        var second = await client.OpenStreamAsync();
        await second.WriteAsync(new byte[40_000]);
        Assert.False(client.StreamsInterleaved);

        // The second finished too: data coming in on the first is no sign of two streams in turn.
        second.CloseWrite();
        var served = await server.AcceptStreamAsync().AsTask().WaitAsync(Hard);
        Assert.NotNull(served);
        await served.WriteAsync(new byte[1_000]);
        await first.ReadExactlyAsync(new byte[1_000]).AsTask().WaitAsync(Hard);
        Assert.False(client.StreamsInterleaved);

        // A third that stays open: now data coming in on the first is.
        var third = await client.OpenStreamAsync();
        await third.WriteAsync(new byte[64]);
        Assert.False(client.StreamsInterleaved); // the second, before it, had finished
        await served.WriteAsync(new byte[1_000]);
        await first.ReadExactlyAsync(new byte[1_000]).AsTask().WaitAsync(Hard);
        Assert.True(client.StreamsInterleaved);
    }

    [Fact]
    public async Task Data_coming_in_on_one_stream_while_another_sends_is_interleaved()
    {
        var time = new TestTimeProvider();
        var (a, b) = DuplexPipeStream.CreatePair(pauseThreshold: 64 << 20);
        var config = new SmuxConfig { Version = 1, KeepAliveDisabled = true };
        await using var client = new SmuxSession(a, config, isClient: true, time);
        await using var server = new SmuxSession(b, config, isClient: false, time);

        // A download: the client opens a stream (SYN only), the server sends on it in bulk.
        var download = await client.OpenStreamAsync();
        var served = await server.AcceptStreamAsync().AsTask().WaitAsync(Hard);
        Assert.NotNull(served);
        await served.WriteAsync(new byte[100_000]);
        await download.ReadExactlyAsync(new byte[100_000]).AsTask().WaitAsync(Hard);
        Assert.False(client.StreamsInterleaved); // it sent no data

        // Requests on a second stream beside it: the download's data now comes in while another stream sends.
        var requests = await client.OpenStreamAsync();
        await requests.WriteAsync(new byte[64]);
        time.Advance(TimeSpan.FromMilliseconds(300));
        Assert.False(client.StreamsInterleaved); // one stream sent, nothing came in since
        await served.WriteAsync(new byte[10_000]);
        await download.ReadExactlyAsync(new byte[10_000]).AsTask().WaitAsync(Hard);
        Assert.True(client.StreamsInterleaved);

        // A second after the last request, the download alone is one stream again.
        time.Advance(TimeSpan.FromMilliseconds(1_100));
        await served.WriteAsync(new byte[10_000]);
        await download.ReadExactlyAsync(new byte[10_000]).AsTask().WaitAsync(Hard);
        Assert.False(client.StreamsInterleaved);
    }
}
