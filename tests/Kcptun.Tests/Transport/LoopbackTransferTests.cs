using System.Net;
using System.Security.Cryptography;
using Kcptun.Transport;
using static Kcptun.Tests.Transport.TransportTestSupport;

namespace Kcptun.Tests.Transport;

public sealed class LoopbackTransferTests
{
    private static async Task RoundTripAsync(KcpSession client, byte[] data, CancellationToken ct)
    {
        var received = new byte[data.Length];
        Task reader = ReadExactlyAsync(client, received, ct);
        for (int offset = 0; offset < data.Length; offset += 50_000)
        {
            await client.WriteAsync(data.AsMemory(offset, Math.Min(50_000, data.Length - offset)), ct);
        }

        await reader;
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(received));
    }

    // Protocol behaviour (transfer under loss, FEC, several clients) is tested on the in-memory link
    // (SessionTransferTests); here the real sockets of each address family carry one echo.
    [Theory]
    [InlineData("127.0.0.1", 0, 0)]
    [InlineData("::1", 10, 3)]
    public async Task Session_echo_through_listener_keeps_every_byte(string address, int dataShards, int parityShards)
    {
        CancellationToken ct = TimeoutToken();
        KcpSessionOptions options = Options(dataShards, parityShards);
        await using KcpListener listener = KcpListener.Start(new IPEndPoint(IPAddress.Parse(address), 0), options);
        var target = new IPEndPoint(IPAddress.Parse(address), ((IPEndPoint)listener.LocalEndPoint).Port);
        await using KcpSession client = await KcpSession.ConnectAsync(target, options, ct);

        byte[] data = RandomBytes(2 * 1024 * 1024, seed: 1);
        Task<KcpSession> accepting = listener.AcceptAsync(ct).AsTask();
        Task roundTrip = RoundTripAsync(client, data, ct);
        await using KcpSession server = await accepting;
        Task echo = EchoAsync(server, ct);
        await roundTrip;

        Assert.Equal(client.Conversation, server.Conversation);
        Assert.Equal(data.Length, client.Counters.BytesSent);
        Assert.Equal(data.Length, client.Counters.BytesReceived);
        Assert.Equal(data.Length, server.Counters.BytesReceived);
        Assert.Equal(1, client.Counters.ActiveOpens);
        Assert.Equal(1, server.Counters.PassiveOpens);
        Assert.True(client.Counters.OutPkts > data.Length / 1400);
        Assert.True(server.Counters.InPkts > data.Length / 1400);
        Assert.Equal(0, client.Counters.InErrs + client.Counters.InCsumErrors + client.Counters.KcpInErrors);
        Assert.Equal(0, server.Counters.InErrs + server.Counters.InCsumErrors + server.Counters.KcpInErrors);
        Assert.Equal(0, listener.Counters.InErrs + listener.Counters.InCsumErrors);
        _ = echo;
    }

    [Fact]
    public async Task Dual_stack_listener_serves_an_ipv4_client()
    {
        CancellationToken ct = TimeoutToken();
        KcpSessionOptions options = Options();
        await using KcpListener listener = KcpListener.Start(new IPEndPoint(IPAddress.IPv6Any, 0), options);
        await using KcpSession client = await KcpSession.ConnectAsync(LoopbackPort(listener.LocalEndPoint), options, ct);
        await client.WriteAsync("hello"u8.ToArray(), ct);
        await using KcpSession server = await listener.AcceptAsync(ct);
        var buffer = new byte[5];
        await ReadExactlyAsync(server, buffer, ct);
        Assert.Equal("hello"u8.ToArray(), buffer);
        Assert.Equal(IPAddress.Loopback, ((IPEndPoint)server.RemoteEndPoint).Address);
        Assert.Equal(((IPEndPoint)client.LocalEndPoint).Port, ((IPEndPoint)server.RemoteEndPoint).Port);
    }
}
