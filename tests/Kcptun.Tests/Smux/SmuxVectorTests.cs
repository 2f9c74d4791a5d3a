using System.Text;
using System.Text.Json;
using Kcptun.Smux;
using Kcptun.Tests.Support;

namespace Kcptun.Tests.Smux;

public class SmuxVectorTests
{
    private static readonly TimeSpan Hard = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData("smux_v1.json", 1)]
    [InlineData("smux_v2.json", 2)]
    public async Task Client_server_pair_emits_the_recorded_frames(string file, int version)
    {
        using var vector = Vectors.Load(file);
        var config = new SmuxConfig
        {
            Version = version,
            KeepAliveDisabled = true,
            MaxReceiveBuffer = 4194304,
            MaxStreamBuffer = 2097152,
        };
        var (clientEnd, serverEnd) = DuplexPipeStream.CreatePair(record: true, pauseThreshold: 1 << 20);
        await using var client = new SmuxSession(clientEnd, config, isClient: true);
        await using var server = new SmuxSession(serverEnd, config, isClient: false);

        // The steps of the vector, in order.
        var clientStream = await client.OpenStreamAsync();
        await clientStream.WriteAsync("hello"u8.ToArray());
        var serverStream = await server.AcceptStreamAsync().AsTask().WaitAsync(Hard);
        Assert.Equal("hello", Encoding.ASCII.GetString(await ReadExactlyAsync(serverStream, 5)));
        await serverStream.WriteAsync("world!"u8.ToArray());
        Assert.Equal("world!", Encoding.ASCII.GetString(await ReadExactlyAsync(clientStream, 6)));
        await clientStream.WriteAsync(new byte[40000]);
        Assert.Equal(new byte[40000], await ReadExactlyAsync(serverStream, 40000));
        var second = await client.OpenStreamAsync();
        await clientStream.DisposeAsync();
        Assert.Equal(0, await serverStream.ReadAsync(new byte[16]).AsTask().WaitAsync(Hard));
        await serverStream.DisposeAsync();
        await second.DisposeAsync();

        var expectedClient = new List<JsonElement>();
        var expectedServer = new List<JsonElement>();
        foreach (var step in vector.RootElement.GetProperty("steps").EnumerateArray())
        {
            Collect(step, "client_to_server", expectedClient);
            Collect(step, "server_to_client", expectedServer);
        }

        // v2: the server's UPD for "hello" may still be in flight when the last step ends; wait for the counts.
        await Poll.UntilAsync(() => SmuxFrames.Parse(serverEnd.Written).Count >= expectedServer.Count, "server frames");
        AssertFrames(expectedClient, SmuxFrames.Parse(clientEnd.Written));
        AssertFrames(expectedServer, SmuxFrames.Parse(serverEnd.Written));
    }

    [Theory]
    [InlineData("smux_v1.json", 1)]
    [InlineData("smux_v2.json", 2)]
    public async Task First_keepalive_is_the_recorded_nop(string file, int version)
    {
        using var vector = Vectors.Load(file);
        var expected = vector.RootElement.GetProperty("keepalive_first_frame_client_to_server")[0].GetProperty("frame_hex").GetString()!;
        var config = new SmuxConfig { Version = version, KeepAliveInterval = TimeSpan.FromMilliseconds(50), KeepAliveTimeout = TimeSpan.FromSeconds(30) };
        var (clientEnd, serverEnd) = DuplexPipeStream.CreatePair(record: true);
        await using var client = new SmuxSession(clientEnd, config, isClient: true);
        await using var server = new SmuxSession(serverEnd, config with { KeepAliveDisabled = true }, isClient: false);

        await Poll.UntilAsync(() => clientEnd.Written.Length >= 8, "the first NOP");
        Assert.Equal(expected, Vectors.Hex(clientEnd.Written.AsSpan(0, 8)));
    }

    private static void Collect(JsonElement step, string direction, List<JsonElement> into)
    {
        var frames = step.GetProperty(direction);
        if (frames.ValueKind == JsonValueKind.Array)
        {
            into.AddRange(frames.EnumerateArray());
        }
    }

    private static void AssertFrames(List<JsonElement> expected, List<(SmuxFrameHeader Header, byte[] Frame)> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            if (expected[i].TryGetProperty("frame_hex", out var full))
            {
                Assert.Equal(full.GetString(), Vectors.Hex(actual[i].Frame));
            }
            else
            {
                Assert.Equal(expected[i].GetProperty("header_hex").GetString(), Vectors.Hex(actual[i].Frame.AsSpan(0, SmuxFrameHeader.Size)));
                Assert.Equal(expected[i].GetProperty("length").GetInt32(), actual[i].Frame.Length - SmuxFrameHeader.Size);
            }
        }
    }

    internal static async Task<byte[]> ReadExactlyAsync(Stream stream, int count)
    {
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer).AsTask().WaitAsync(Hard);
        return buffer;
    }
}
