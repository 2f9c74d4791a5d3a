using Kcptun.Kcp.Congestion;
using Kcptun.Tests.Transport.Link;
using Kcptun.Transport;
using static Kcptun.Tests.Transport.TransportTestSupport;

namespace Kcptun.Tests.Transport;

/// <summary>
/// Adaptive FEC end to end on the fake-clock in-memory link (docs/fec-adaptive.md): a bbr sender with 10/3 drops its
/// parity on a clean path, raises it again when loss appears, and every byte arrives; the receiver rebuilds from
/// whatever parity came and counts no FEC errors.
/// </summary>
public sealed class AdaptiveFecTests
{
    private static KcpSessionOptions Adaptive(bool adaptive = true) => Options(dataShards: 10, parityShards: 3) with
    {
        CongestionControl = CongestionControl.Bbr,
        AdaptiveFec = adaptive,
        SendWindow = 1024,
        ReceiveWindow = 1024,
    };

    // The in-memory link has no rate: the rate controller grows until a window binds, and which decision windows see
    // that depends on the first gain-cycle phase, which follows the conversation id, which follows the seed. These
    // seeds give all six phases (conversation id mod 6: 3, 1, 0, 2, 4, 5).
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(9)]
    [InlineData(13)]
    public async Task Parity_goes_to_zero_on_a_clean_path_the_windows_do_not_bind(int seed)
    {
        // Windows wider than the whole transfer (~4,800 segments): nothing but the path can hold the sender back.
        KcpSessionOptions options = Adaptive() with { SendWindow = 8192, ReceiveWindow = 8192 };
        var network = new InMemoryNetwork(seed);
        await using KcpListener listener = network.Listen(options);
        await using KcpSession client = network.Connect(listener.LocalEndPoint, options);
        byte[] clean = RandomBytes(6 * 1024 * 1024, seed: 1);
        new PumpedSession(network, client).Write(clean);
        network.RunUntil(() => listener.SessionCount > 0);
        await using KcpSession server = AcceptNow(listener);
        var sink = new PumpedSession(network, server);
        network.RunUntil(() => sink.Received.Length == clean.Length);

        FecSendStats stats = client.FecSend;
        Assert.Equal(0, stats.ParityShards);
        Assert.Equal(3, stats.MaxParity);
        Assert.True(stats.ParityDatagrams < 2 * stats.Groups, $"{stats.ParityDatagrams} parity in {stats.Groups} groups (fixed: 3 each)");
        Assert.Equal(clean, sink.Received.ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(9)]
    [InlineData(13)]
    public async Task Parity_comes_down_on_a_clean_path_and_goes_up_under_fifteen_percent_loss(int seed)
    {
        var network = new InMemoryNetwork(seed);
        await using KcpListener listener = network.Listen(Adaptive());
        await using KcpSession client = network.Connect(listener.LocalEndPoint, Adaptive());
        var writer = new PumpedSession(network, client);

        // Clean: 6 MiB, several decision windows. The 1024-segment windows bind now and then, which holds the strict
        // target for a few windows (AdaptiveParityTests): the parity comes down, to 0 or 1 depending on when.
        byte[] clean = RandomBytes(6 * 1024 * 1024, seed: 1);
        writer.Write(clean);
        network.RunUntil(() => listener.SessionCount > 0);
        await using KcpSession server = AcceptNow(listener);
        var sink = new PumpedSession(network, server);
        network.RunUntil(() => sink.Received.Length == clean.Length);
        FecSendStats afterClean = client.FecSend;
        Assert.InRange(afterClean.ParityShards!.Value, 0, 1);
        Assert.Equal(3, afterClean.MaxParity);

        // Lossy: 15% of the client's datagrams dropped (seeded).
        var random = new Random(11);
        network.Drop = d => d.From.Equals(client.LocalEndPoint) && random.NextDouble() < 0.15;
        byte[] lossy = RandomBytes(6 * 1024 * 1024, seed: 2);
        writer.Write(lossy);
        network.RunUntil(() => sink.Received.Length == clean.Length + lossy.Length);

        FecSendStats afterLoss = client.FecSend;
        Assert.Equal(3, afterLoss.ParityShards);
        Assert.InRange(afterLoss.MinParity!.Value, 0, 1);
        Assert.InRange(afterLoss.EstimatedLoss, 0.08, 0.25);
        Assert.Equal([.. clean, .. lossy], sink.Received.ToArray());
        Assert.True(server.Counters.FecRecovered > 100, $"{server.Counters.FecRecovered} rebuilt, parity {afterLoss.ParityDatagrams} in {afterLoss.Groups} groups");
        Assert.Equal(0, server.Counters.FecErrs);
        Assert.Equal(0, server.Counters.KcpInErrors);
    }

    [Fact]
    public async Task Fixed_fec_sends_every_parity_datagram()
    {
        var network = new InMemoryNetwork(seed: 4);
        await using KcpListener listener = network.Listen(Adaptive(adaptive: false));
        await using KcpSession client = network.Connect(listener.LocalEndPoint, Adaptive(adaptive: false));
        byte[] data = RandomBytes(2 * 1024 * 1024, seed: 3);
        new PumpedSession(network, client).Write(data);
        network.RunUntil(() => listener.SessionCount > 0);
        await using KcpSession server = AcceptNow(listener);
        var sink = new PumpedSession(network, server);
        network.RunUntil(() => sink.Received.Length == data.Length);

        FecSendStats stats = client.FecSend;
        Assert.Null(stats.ParityShards);
        Assert.True(stats.Groups > 100);
        Assert.Equal(3 * stats.Groups, stats.ParityDatagrams);
    }
}
