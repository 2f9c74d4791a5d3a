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

    [Fact]
    public async Task Parity_goes_to_zero_on_a_clean_path_and_up_under_fifteen_percent_loss()
    {
        var network = new InMemoryNetwork(seed: 3);
        await using KcpListener listener = network.Listen(Adaptive());
        await using KcpSession client = network.Connect(listener.LocalEndPoint, Adaptive());
        var writer = new PumpedSession(network, client);

        // Clean: 6 MiB, several decision windows.
        byte[] clean = RandomBytes(6 * 1024 * 1024, seed: 1);
        writer.Write(clean);
        network.RunUntil(() => listener.SessionCount > 0);
        await using KcpSession server = AcceptNow(listener);
        var sink = new PumpedSession(network, server);
        network.RunUntil(() => sink.Received.Length == clean.Length);
        FecSendStats afterClean = client.FecSend;
        Assert.Equal(0, afterClean.ParityShards);
        Assert.Equal(3, afterClean.MaxParity);
        Assert.True(afterClean.ParityDatagrams < 2 * afterClean.Groups, $"{afterClean.ParityDatagrams} parity in {afterClean.Groups} groups (fixed: 3 each)");

        // Lossy: 15% of the client's datagrams dropped (seeded).
        var random = new Random(11);
        network.Drop = d => d.From.Equals(client.LocalEndPoint) && random.NextDouble() < 0.15;
        byte[] lossy = RandomBytes(6 * 1024 * 1024, seed: 2);
        writer.Write(lossy);
        network.RunUntil(() => sink.Received.Length == clean.Length + lossy.Length);

        FecSendStats afterLoss = client.FecSend;
        Assert.Equal(3, afterLoss.ParityShards);
        Assert.Equal(0, afterLoss.MinParity);
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
