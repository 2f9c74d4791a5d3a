using Kcptun.Smux;
using Kcptun.Tests.Support;

namespace Kcptun.Tests.Smux;

/// <summary>
/// <see cref="SmuxSession.SendsInterleaved"/>: data of more than one stream went out within a second, so a hole below
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

        Assert.False(client.SendsInterleaved);
        Assert.False(server.SendsInterleaved); // it sent no data

        var interactive = await client.OpenStreamAsync();
        await interactive.WriteAsync(new byte[64]);
        await bulk.WriteAsync(new byte[40_000]);
        Assert.True(client.SendsInterleaved);

        time.Advance(TimeSpan.FromMilliseconds(900));
        Assert.True(client.SendsInterleaved);
        await bulk.WriteAsync(new byte[40_000]); // the same stream again: no new alternation
        time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.False(client.SendsInterleaved);

        var accepted = await server.AcceptStreamAsync().AsTask().WaitAsync(Hard);
        Assert.NotNull(accepted);
    }
}
