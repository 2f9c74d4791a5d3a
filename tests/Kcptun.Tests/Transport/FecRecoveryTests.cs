using Kcptun.Diagnostics;
using Kcptun.Tests.Transport.Link;
using Kcptun.Transport;
using static Kcptun.Tests.Transport.TransportTestSupport;

namespace Kcptun.Tests.Transport;

/// <summary>
/// FEC on a lossy path: the in-memory link drops every 7th client datagram, so every FEC group of 10 + 3 loses at
/// most 2 and the receiver rebuilds the lost data packets from parity.
/// </summary>
public sealed class FecRecoveryTests
{
    [Fact]
    public async Task Lost_data_packets_are_rebuilt_from_parity_and_the_data_arrive_intact()
    {
        var (network, _, server) = await TransferWithEverySeventhClientDatagramDroppedAsync(Options(dataShards: 10, parityShards: 3));
        Assert.True(network.Dropped > 20, $"only {network.Dropped} datagrams dropped");
        Assert.True(server.FecRecovered > 0, "no packet was rebuilt from parity");
        Assert.True(server.FecParityShards > 0);
        Assert.Equal(0, server.FecErrs);
    }

    [Fact]
    public async Task Without_fec_the_same_losses_are_retransmitted()
    {
        var (network, client, server) = await TransferWithEverySeventhClientDatagramDroppedAsync(Options());
        Assert.Equal(0, server.FecRecovered);
        Assert.True(client.RetransSegs >= network.Dropped / 2, $"{client.RetransSegs} retransmitted, {network.Dropped} dropped");
    }

    // Sends 512 KiB from client to server while the link drops every 7th client datagram; checks the data arrived
    // intact and returns the link and both sessions' counters (read after the sessions closed).
    private static async Task<(InMemoryNetwork Network, SnmpCounters Client, SnmpCounters Server)> TransferWithEverySeventhClientDatagramDroppedAsync(
        KcpSessionOptions options)
    {
        var network = new InMemoryNetwork();
        await using KcpListener listener = network.Listen(options);
        await using KcpSession client = network.Connect(listener.LocalEndPoint, options);
        network.Drop = d => d.From.Equals(client.LocalEndPoint) && d.Index % 7 == 6;

        byte[] data = RandomBytes(512 * 1024, seed: 5);
        new PumpedSession(network, client).Write(data);
        network.RunUntil(() => listener.SessionCount > 0);
        await using KcpSession server = AcceptNow(listener);
        var sink = new PumpedSession(network, server);
        network.RunUntil(() => sink.Received.Length == data.Length);

        Assert.Equal(data, sink.Received.ToArray());
        return (network, client.Counters, server.Counters);
    }
}
