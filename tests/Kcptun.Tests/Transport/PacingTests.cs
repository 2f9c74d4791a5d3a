using Kcptun.Cli.Configuration;
using Kcptun.Tests.Transport.Link;
using Kcptun.Transport;
using Kcptun.Tunnel;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;
using static Kcptun.Tests.Transport.TransportTestSupport;

namespace Kcptun.Tests.Transport;

/// <summary><c>--ratelimit</c>: token bucket arithmetic, the pacing queue and a paced session, all on a fake clock.</summary>
public sealed class PacingTests(ITestOutputHelper output)
{
    /// <summary>Records every datagram released to the wire.</summary>
    private sealed class RecordingSink : IDatagramSink
    {
        public List<byte[]> Sent { get; } = [];

        public void Send(ReadOnlySpan<byte> datagram) => Sent.Add(datagram.ToArray());
    }

    [Fact]
    public void Bucket_starts_full_and_refuses_beyond_the_burst()
    {
        var clock = new FakeTimeProvider();
        var bucket = new TokenBucket(10_000, 3_000, clock);

        Assert.Equal(3_000, bucket.Available);
        Assert.True(bucket.TryTake(1_500));
        Assert.True(bucket.TryTake(1_500));
        Assert.False(bucket.TryTake(1));
        Assert.Equal(0, bucket.Available);
    }

    [Fact]
    public void Bucket_refills_at_the_rate_and_caps_at_the_burst()
    {
        var clock = new FakeTimeProvider();
        var bucket = new TokenBucket(10_000, 3_000, clock);
        Assert.True(bucket.TryTake(3_000));

        clock.Advance(TimeSpan.FromMilliseconds(100)); // 10,000 B/s * 0.1 s
        Assert.Equal(1_000, bucket.Available, precision: 6);
        Assert.False(bucket.TryTake(1_001));
        Assert.True(bucket.TryTake(1_000));

        clock.Advance(TimeSpan.FromSeconds(10)); // would be 100,000 bytes: capped
        Assert.Equal(3_000, bucket.Available);
    }

    [Fact]
    public void Bucket_time_until_matches_the_missing_tokens()
    {
        var clock = new FakeTimeProvider();
        var bucket = new TokenBucket(2_000_000, TokenBucket.DefaultBurst, clock);
        Assert.Equal(64 * 1500, bucket.Burst);
        Assert.Equal(TimeSpan.Zero, bucket.TimeUntil(1_500));
        Assert.True(bucket.TryTake(TokenBucket.DefaultBurst));

        Assert.Equal(750, bucket.TimeUntil(1_500).TotalMicroseconds, precision: 3); // 1,500 B at 2 MB/s
        clock.Advance(TimeSpan.FromMilliseconds(0.5));
        Assert.Equal(250, bucket.TimeUntil(1_500).TotalMicroseconds, precision: 3);
        clock.Advance(TimeSpan.FromMilliseconds(0.25));
        Assert.Equal(TimeSpan.Zero, bucket.TimeUntil(1_500));
        Assert.True(bucket.TryTake(1_500));
    }

    [Fact]
    public void Bucket_lets_an_oversized_take_through_when_full_and_goes_into_debt()
    {
        var clock = new FakeTimeProvider();
        var bucket = new TokenBucket(1_000, 500, clock);
        Assert.True(bucket.TryTake(800));
        Assert.Equal(-300, bucket.Available);
        Assert.False(bucket.TryTake(800));

        clock.Advance(TimeSpan.FromMilliseconds(799)); // 499 tokens: one short of full
        Assert.False(bucket.TryTake(800));
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(bucket.TryTake(800));
    }

    [Fact]
    public void Pacer_sends_the_burst_at_once_then_releases_the_queue_in_order_as_tokens_refill()
    {
        var clock = new FakeTimeProvider();
        var sink = new RecordingSink();
        var pacer = new SendPacer(150_000, clock); // 100 full datagrams per second
        for (int i = 0; i < 100; i++)
        {
            var datagram = new byte[1_500];
            datagram[0] = (byte)i;
            Assert.True(pacer.Submit(datagram, sink));
        }

        Assert.Equal(64, sink.Sent.Count);
        Assert.Equal(36, pacer.Queued);
        Assert.Equal(10, pacer.Drain(sink).TotalMilliseconds, precision: 6);
        Assert.Equal(64, sink.Sent.Count);

        clock.Advance(TimeSpan.FromMilliseconds(95)); // 9.5 datagrams' worth
        Assert.Equal(5, pacer.Drain(sink).TotalMilliseconds, precision: 6);
        Assert.Equal(73, sink.Sent.Count);

        // A new datagram queues behind the backlog even when tokens would cover it.
        clock.Advance(TimeSpan.FromMilliseconds(5));
        var late = new byte[100];
        late[0] = 200;
        Assert.True(pacer.Submit(late, sink));
        Assert.Equal(73, sink.Sent.Count);

        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.Zero, pacer.Drain(sink));
        Assert.False(pacer.HasBacklog);
        Assert.Equal(101, sink.Sent.Count);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (byte)i).Append((byte)200), sink.Sent.Select(d => d[0]));
        Assert.Equal(100, sink.Sent[^1].Length);
    }

    [Fact]
    public void Pacer_queue_is_bounded()
    {
        var clock = new FakeTimeProvider();
        var sink = new RecordingSink();
        var pacer = new SendPacer(1, clock);
        var datagram = new byte[1_500];
        for (int i = 0; i < 64 + SendPacer.MaxQueued; i++)
        {
            Assert.True(pacer.Submit(datagram, sink));
        }

        Assert.False(pacer.Submit(datagram, sink));
        Assert.Equal(1, pacer.Dropped);
        Assert.Equal(SendPacer.MaxQueued, pacer.Queued);
        pacer.Clear();
        Assert.False(pacer.HasBacklog);
    }

    [Fact]
    public void Options_reject_a_negative_rate_limit()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new KcpSessionOptions { RateLimit = -1 }.Validate());
        new KcpSessionOptions { RateLimit = 0 }.Validate();
    }

    [Fact]
    public void Tunnel_ratelimit_reaches_the_session_options()
    {
        using var log = new TunnelLog(TextWriter.Null);
        var options = new ClientOptions { RateLimit = 1_048_576 };
        Assert.Equal(1_048_576, TransportSettings.From(options, new byte[32], log).RateLimit);
        Assert.Equal(0, TransportSettings.From(new ClientOptions(), new byte[32], log).RateLimit);
    }

    [Fact]
    public async Task Paced_session_moves_4_MB_at_2_MB_per_second_intact()
    {
        const int Rate = 2 * 1024 * 1024;
        var network = new InMemoryNetwork();
        KcpSessionOptions options = Options();
        await using KcpListener listener = network.Listen(options);
        // The kcptun client's default send window: the pacing queue then holds at most ~170 KB (~80 ms).
        await using KcpSession client = network.Connect(listener.LocalEndPoint, options with { RateLimit = Rate, SendWindow = 128 });

        byte[] data = RandomBytes(4 * 1024 * 1024, seed: 7);
        new PumpedSession(network, client).Write(data);
        network.RunUntil(() => listener.SessionCount > 0);
        await using KcpSession server = AcceptNow(listener);
        var sink = new PumpedSession(network, server);
        network.RunUntil(() => sink.Received.Length == data.Length);
        TimeSpan elapsed = network.Elapsed;

        output.WriteLine($"4 MiB paced at 2 MiB/s: {elapsed.TotalSeconds:F3} s fake, {client.Counters.OutBytes / elapsed.TotalSeconds / 1048576:F3} MiB/s on the wire, {client.Counters.OutPkts} datagrams, {client.Counters.RetransSegs} retrans, {client.Counters.LostSegs} lost, {client.Counters.FastRetransSegs} fast");
        Assert.Equal(data, sink.Received.ToArray());

        // The wire carries the data plus headers and ACK-less overhead at the rate, after one 96,000-byte burst:
        // (OutBytes - burst) / rate, and a little for the last datagram's trip; the fake clock makes it exact.
        double expected = (client.Counters.OutBytes - TokenBucket.DefaultBurst) / (double)Rate;
        Assert.InRange(elapsed.TotalSeconds, expected - 0.05, expected + 0.05);
        Assert.True(client.Counters.OutBytes >= data.Length);
    }
}
