using Kcptun.Tests.Transport.Link;
using Kcptun.Transport;
using Xunit.Abstractions;
using static Kcptun.Tests.Transport.TransportTestSupport;

namespace Kcptun.Tests.Transport;

/// <summary>Sessions through a listener over the in-memory link on a fake clock: every byte arrives, whatever the link does.</summary>
public sealed class SessionTransferTests(ITestOutputHelper output)
{
    public static TheoryData<string, int, int, double, double, int> Links => new()
    {
        // name, data shards, parity shards, loss, duplicate, jitter (ms)
        { "perfect", 0, 0, 0, 0, 0 },
        { "perfect fec", 10, 3, 0, 0, 0 },
        { "lossy reordering duplicating", 0, 0, 0.05, 0.02, 20 },
        { "lossy reordering duplicating fec", 10, 3, 0.05, 0.02, 20 },
    };

    [Theory]
    [MemberData(nameof(Links))]
    public async Task Echo_through_a_listener_keeps_every_byte(string name, int dataShards, int parityShards, double loss,
        double duplicate, int jitter)
    {
        var network = new InMemoryNetwork(seed: 3, new LinkConditions
        {
            Loss = loss,
            Duplicate = duplicate,
            Jitter = TimeSpan.FromMilliseconds(jitter),
        });
        KcpSessionOptions options = Options(dataShards, parityShards);
        await using KcpListener listener = network.Listen(options);
        await using KcpSession client = network.Connect(listener.LocalEndPoint, options);

        byte[] data = RandomBytes(1024 * 1024, seed: 1);
        var app = new PumpedSession(network, client);
        app.Write(data);
        network.RunUntil(() => listener.SessionCount > 0);
        await using KcpSession server = AcceptNow(listener);
        _ = new PumpedSession(network, server, echo: true);
        network.RunUntil(() => app.Received.Length == data.Length);

        output.WriteLine($"{name}: {network.Elapsed.TotalMilliseconds} ms fake, {network.Sent} sent, {network.Lost} lost, " +
            $"{network.Duplicated} duplicated, {client.Counters.RetransSegs} + {server.Counters.RetransSegs} retransmitted, " +
            $"{server.Counters.FecRecovered} + {client.Counters.FecRecovered} recovered");
        Assert.Equal(data, app.Received.ToArray());
        Assert.Equal(client.Conversation, server.Conversation);
        Assert.Equal(data.Length, client.Counters.BytesSent);
        Assert.Equal(data.Length, client.Counters.BytesReceived);
        Assert.Equal(data.Length, server.Counters.BytesReceived);
        Assert.Equal(1, client.Counters.ActiveOpens);
        Assert.Equal(1, server.Counters.PassiveOpens);
        Assert.Equal(0, client.Counters.InErrs + client.Counters.InCsumErrors + client.Counters.KcpInErrors);
        Assert.Equal(0, server.Counters.InErrs + server.Counters.InCsumErrors + server.Counters.KcpInErrors);
        Assert.Equal(0, listener.Counters.InErrs + listener.Counters.InCsumErrors);
        if (loss > 0)
        {
            Assert.True(network.Lost > 0 && network.Duplicated > 0);
            Assert.True(client.Counters.RetransSegs > 0 && server.Counters.RetransSegs > 0);
        }
        else
        {
            Assert.Equal(0, client.Counters.RetransSegs + server.Counters.RetransSegs);
        }

        if (dataShards > 0 && loss > 0)
        {
            Assert.True(server.Counters.FecRecovered > 0 && client.Counters.FecRecovered > 0);
        }
    }

    [Fact]
    public async Task A_run_on_the_fake_clock_is_the_same_every_time()
    {
        static async Task<(double Elapsed, long Sent, long Retransmitted)> RunAsync()
        {
            var network = new InMemoryNetwork(seed: 9, new LinkConditions { Loss = 0.1, Jitter = TimeSpan.FromMilliseconds(10) });
            KcpSessionOptions options = Options(10, 3);
            await using KcpListener listener = network.Listen(options);
            await using KcpSession client = network.Connect(listener.LocalEndPoint, options);
            var app = new PumpedSession(network, client);
            app.Write(RandomBytes(300_000, seed: 2));
            network.RunUntil(() => listener.SessionCount > 0);
            await using KcpSession server = AcceptNow(listener);
            var sink = new PumpedSession(network, server);
            network.RunUntil(() => sink.Received.Length == 300_000);
            return (network.Elapsed.TotalMilliseconds, network.Sent, client.Counters.RetransSegs);
        }

        var first = await RunAsync();
        var second = await RunAsync();
        output.WriteLine($"{first}");
        Assert.Equal(first, second);
    }

    [Fact]
    public async Task Several_clients_of_one_listener_are_kept_apart()
    {
        var network = new InMemoryNetwork(seed: 4, new LinkConditions { Loss = 0.02, Jitter = TimeSpan.FromMilliseconds(5) });
        KcpSessionOptions options = Options();
        await using KcpListener listener = network.Listen(options);
        var clients = new List<PumpedSession>();
        for (int i = 0; i < 4; i++)
        {
            var client = new PumpedSession(network, network.Connect(listener.LocalEndPoint, options));
            client.Write(RandomBytes(100_000 + (i * 1000), seed: 10 + i));
            clients.Add(client);
        }

        var servers = new List<KcpSession>();
        network.RunUntil(() =>
        {
            // Accept as they come, each with an echo.
            while (servers.Count < listener.SessionCount)
            {
                KcpSession server = AcceptNow(listener);
                servers.Add(server);
                _ = new PumpedSession(network, server, echo: true);
            }

            return clients.TrueForAll(c => c.Received.Length == 100_000 + (clients.IndexOf(c) * 1000));
        });

        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(RandomBytes(100_000 + (i * 1000), seed: 10 + i), clients[i].Received.ToArray());
        }

        Assert.Equal(4, listener.SessionCount);
        Assert.Equal(4, clients.Select(c => c.Session.Conversation).Distinct().Count());
        Assert.Equal(clients.Select(c => c.Session.Conversation).Order(), servers.Select(s => s.Conversation).Order());
        foreach (PumpedSession client in clients)
        {
            await client.Session.DisposeAsync();
        }
    }
}
