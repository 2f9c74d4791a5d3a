using System.Buffers.Binary;
using Kcptun.Smux;
using Kcptun.Tests.Support;

namespace Kcptun.Tests.Smux;

public class SmuxLoadTests
{
    private static readonly TimeSpan Hard = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Thousand_concurrent_streams_echo_every_byte(int version)
    {
        using var unobserved = new UnobservedExceptionProbe();
        var config = new SmuxConfig { Version = version, KeepAliveDisabled = true, MaxStreamBuffer = 16384, MaxReceiveBuffer = 1 << 20 };
        var (a, b) = DuplexPipeStream.CreatePair();
        await using var client = new SmuxSession(a, config, isClient: true);
        await using var server = new SmuxSession(b, config, isClient: false);

        // Server: each stream announces its length (4 bytes LE), then the bytes, which are echoed back.
        var echo = Task.Run(async () =>
        {
            var handlers = new List<Task>();
            for (var i = 0; i < 1000; i++)
            {
                var stream = await server.AcceptStreamAsync();
                handlers.Add(Task.Run(async () =>
                {
                    var prefix = new byte[4];
                    await stream.ReadExactlyAsync(prefix);
                    var data = new byte[BinaryPrimitives.ReadInt32LittleEndian(prefix)];
                    await stream.ReadExactlyAsync(data);
                    await stream.WriteAsync(data);
                    Assert.Equal(0, await stream.ReadAsync(new byte[1])); // client's FIN
                    await stream.DisposeAsync();
                }));
            }

            await Task.WhenAll(handlers);
        });

        var clients = Enumerable.Range(0, 1000).Select(i => Task.Run(async () =>
        {
            var random = new Random(i);
            var data = new byte[random.Next(0, 40000)];
            random.NextBytes(data);
            var stream = await client.OpenStreamAsync();
            var message = new byte[4 + data.Length];
            BinaryPrimitives.WriteInt32LittleEndian(message, data.Length);
            data.CopyTo(message, 4);
            await stream.WriteAsync(message);
            var back = new byte[data.Length];
            await stream.ReadExactlyAsync(back);
            Assert.Equal(data, back);
            await stream.DisposeAsync();
        })).ToArray();

        await Task.WhenAll(clients).WaitAsync(Hard);
        await echo.WaitAsync(Hard);
        await Poll.UntilAsync(() => client.StreamCount == 0 && server.StreamCount == 0, "all streams closed");
        Assert.Equal(config.MaxReceiveBuffer, client.ReceiveBudget);
        Assert.Equal(config.MaxReceiveBuffer, server.ReceiveBudget);
        unobserved.AssertNone();
    }

    [Fact]
    public async Task V2_stream_with_a_stalled_reader_does_not_stop_the_others()
    {
        var config = new SmuxConfig { Version = 2, KeepAliveDisabled = true, MaxReceiveBuffer = 1 << 20, MaxStreamBuffer = 65536 };
        var (a, b) = DuplexPipeStream.CreatePair();
        await using var client = new SmuxSession(a, config, isClient: true);
        await using var server = new SmuxSession(b, config, isClient: false);

        var stalled = await client.OpenStreamAsync();
        var stalledData = SmuxSessionTests.RandomBytes(1 << 20, 7);
        var stalledWrite = stalled.WriteAsync(stalledData).AsTask();
        var stalledPeer = await server.AcceptStreamAsync().AsTask().WaitAsync(Hard);

        // Nobody reads: the writer stops at the initial window, so the receiver holds exactly that much.
        await Poll.UntilAsync(() => stalledPeer.BufferedBytes == SmuxStream.InitialPeerWindow, "the initial window");

        var busy = await client.OpenStreamAsync();
        var busyData = SmuxSessionTests.RandomBytes(4 << 20, 8);
        var busyWrite = busy.WriteAsync(busyData).AsTask();
        var busyPeer = await server.AcceptStreamAsync().AsTask().WaitAsync(Hard);
        Assert.Equal(busyData, await SmuxVectorTests.ReadExactlyAsync(busyPeer, busyData.Length));
        await busyWrite.WaitAsync(Hard);

        Assert.False(stalledWrite.IsCompleted);
        Assert.Equal(SmuxStream.InitialPeerWindow, stalledPeer.BufferedBytes);

        // Reading again releases the writer.
        Assert.Equal(stalledData, await SmuxVectorTests.ReadExactlyAsync(stalledPeer, stalledData.Length));
        await stalledWrite.WaitAsync(Hard);
    }

    [Fact]
    public async Task V1_receiver_memory_is_bounded_by_the_session_budget()
    {
        var config = new SmuxConfig { KeepAliveDisabled = true, MaxReceiveBuffer = 262144, MaxStreamBuffer = 65536 };
        var (a, b) = DuplexPipeStream.CreatePair();
        await using var client = new SmuxSession(a, config, isClient: true);
        await using var server = new SmuxSession(b, config, isClient: false);

        var stream = await client.OpenStreamAsync();
        var data = SmuxSessionTests.RandomBytes(4 << 20, 9);
        var write = stream.WriteAsync(data).AsTask();
        var peer = await server.AcceptStreamAsync().AsTask().WaitAsync(Hard);

        // The receive loop stops once the budget is used up; the sender then blocks on the connection.
        await Poll.UntilAsync(() => server.ReceiveBudget <= 0, "the budget to run out");
        Assert.InRange(peer.BufferedBytes, config.MaxReceiveBuffer, config.MaxReceiveBuffer + config.MaxFrameSize);
        Assert.False(write.IsCompleted);

        Assert.Equal(data, await SmuxVectorTests.ReadExactlyAsync(peer, data.Length));
        await write.WaitAsync(Hard);
        Assert.Equal(config.MaxReceiveBuffer, server.ReceiveBudget);
    }
}

public class SmuxOverSnappyTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Eight_streams_over_snappy_framing_arrive_intact(int version)
    {
        var config = new SmuxConfig { Version = version, KeepAliveDisabled = true };
        var (a, b) = DuplexPipeStream.CreatePair();
        await using var client = new SmuxSession(new Kcptun.Compression.SnappyFramingStream(a), config, isClient: true);
        await using var server = new SmuxSession(new Kcptun.Compression.SnappyFramingStream(b), config, isClient: false);

        var senders = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            var stream = await client.OpenStreamAsync();
            var data = SmuxSessionTests.RandomBytes(300000, i);
            Array.Fill(data, (byte)'t', 0, 150000); // half compressible
            await stream.WriteAsync(data);
            return data;
        })).ToArray();

        var received = new List<byte[]>();
        for (var i = 0; i < 8; i++)
        {
            var stream = await server.AcceptStreamAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            received.Add(await SmuxVectorTests.ReadExactlyAsync(stream, 300000));
        }

        var sent = await Task.WhenAll(senders);
        Assert.Equal(sent.Select(Convert.ToHexString).Order(), received.Select(Convert.ToHexString).Order());
    }
}
